/**
 * The list filter (the API's `q`), the same test in the browser and on the server (kubevision/kube/tables.py
 * `row_matches`): the text, trimmed and in lower case, is a substring of the row's name, its namespace, or one
 * of its labels written `key=value`. A list held whole in the browser and a windowed one (filtered by the server)
 * show the same rows for the same text.
 */

/**
 * The filter's needle: the text trimmed and lower-cased ("" filters nothing).
 * @param {string} text
 */
export function filterNeedle(text) {
  return text.trim().toLowerCase();
}

const searchText = new WeakMap();

/**
 * Whether a `view=table` row passes the filter `needle` (from `filterNeedle`).
 * @param {{name?: string, namespace?: string|null, labels?: Record<string, string>}} row
 * @param {string} needle
 */
export function rowMatches(row, needle) {
  let text = searchText.get(row);
  if (text === undefined) {
    // NUL never occurs in names, namespaces or labels, so no match spans two of them.
    text = [row.name ?? "", row.namespace ?? "", ...Object.entries(row.labels ?? {}).map(([k, v]) => `${k}=${v}`)]
      .join("\u0000").toLowerCase();
    searchText.set(row, text);
  }
  return text.includes(needle);
}

/**
 * The rows that pass the filter `text` (all of them for an empty one).
 * @template T
 * @param {T[]} rows
 * @param {string} text
 * @returns {T[]}
 */
export function filterRows(rows, text) {
  const needle = filterNeedle(text);
  return needle ? rows.filter((row) => rowMatches(/** @type {any} */ (row), needle)) : rows;
}
