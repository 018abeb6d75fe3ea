/**
 * Three-way merge of Kubernetes objects, for "Reload and reapply": the user's edits (their object
 * against the version they started from) are replayed onto the latest object.
 *
 * Per field: untouched by the user → the latest value (someone else's change is kept); changed only
 * by the user → the user's value; changed the same way by both → that value; mappings changed on
 * both sides are merged key by key; lists whose items all carry a unique `name` (containers, ports,
 * env, volumes…) are merged item by item, keyed by name; anything else changed differently on both
 * sides is a conflict, which the caller resolves ("mine" or "theirs").
 */

/** @typedef {{path: string, mine: unknown, theirs: unknown}} MergeConflict */

const isMap = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

function same(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => same(item, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && same(a[key], b[key]));
  }
  return false;
}

/** Items of a list keyed by their unique string `name`, or null when the list is not like that. */
function byName(list) {
  if (!Array.isArray(list)) return null;
  const keyed = new Map();
  for (const item of list) {
    if (!isMap(item) || typeof item.name !== "string" || keyed.has(item.name)) return null;
    keyed.set(item.name, item);
  }
  return keyed;
}

/**
 * Merge one value.
 * @param {unknown} base the value the user started from
 * @param {unknown} mine the user's value
 * @param {unknown} theirs the latest value
 * @param {string} path dotted path, for conflicts
 * @param {MergeConflict[]} conflicts collects the conflicts
 * @param {Record<string, "mine"|"theirs">} choices resolutions by path
 * @returns {unknown} the merged value (undefined: absent)
 */
function mergeValue(base, mine, theirs, path, conflicts, choices) {
  if (same(mine, base)) return theirs;
  if (same(theirs, base) || same(mine, theirs)) return mine;
  if (isMap(mine) && isMap(theirs)) {
    const start = isMap(base) ? base : {};
    const merged = {};
    // The latest object's key order, then keys only the user added.
    for (const key of new Set([...Object.keys(theirs), ...Object.keys(mine)])) {
      const value = mergeValue(start[key], mine[key], theirs[key], path ? `${path}.${key}` : key, conflicts, choices);
      if (value !== undefined) merged[key] = value;
    }
    return merged;
  }
  const mineByName = byName(mine);
  const theirsByName = byName(theirs);
  if (mineByName && theirsByName) {
    const baseByName = byName(base) ?? new Map();
    const merged = [];
    for (const name of new Set([...theirsByName.keys(), ...mineByName.keys()])) {
      const value = mergeValue(baseByName.get(name), mineByName.get(name), theirsByName.get(name),
        `${path}[${name}]`, conflicts, choices);
      if (value !== undefined) merged.push(value);
    }
    return merged;
  }
  conflicts.push({ path, mine, theirs });
  return choices[path] === "theirs" ? theirs : mine;
}

/**
 * @param {object} base the editable object the user started from
 * @param {object} mine the user's edited object
 * @param {object} theirs the latest editable object
 * @param {Record<string, "mine"|"theirs">} [choices] how conflicts found earlier are resolved
 * @returns {{merged: object, conflicts: MergeConflict[]}} every conflict (resolved or not) with the
 *   merged object, which holds the chosen side of each (the user's when there is no choice yet)
 */
export function threeWayMerge(base, mine, theirs, choices = {}) {
  const conflicts = [];
  const merged = mergeValue(base, mine, theirs, "", conflicts, choices) ?? {};
  return { merged, conflicts };
}
