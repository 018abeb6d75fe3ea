/**
 * Presentation facts about resource kinds: sidebar groups, their order and icons, display labels. What a
 * kind is and can do, and what the signed-in user may do with it, come from GET /clusters/{id}/kinds
 * (`capabilities`, `views`, `sensitive`, `allowed`), never from lists kept here.
 */

/**
 * One entry of GET /clusters/{id}/kinds (the fields the browser reads).
 * @typedef {{name: string, kind?: string, group?: string, namespaced?: boolean, custom?: boolean, builtin?: boolean,
 *            category?: string, verbs?: string[], capabilities?: string[], views?: string[], sensitive?: boolean,
 *            allowed?: string[], shortNames?: string[], columns?: Array<{id?: string, name: string, type?: string}>}} Kind
 */

/** Sidebar groups in display order. */
export const GROUPS = [
  { id: "workloads", label: "Workloads", icon: "box" },
  { id: "network", label: "Network", icon: "network" },
  { id: "config", label: "Config", icon: "sliders" },
  { id: "storage", label: "Storage", icon: "database" },
  { id: "cluster", label: "Cluster", icon: "server" },
  { id: "access", label: "Access control", icon: "shield" },
  { id: "custom", label: "Custom resources", icon: "puzzle" },
  { id: "other", label: "Other", icon: "layers" },
];

// The last kind list of each cluster, shared by the tabs, so a page load need not wait for GET /kinds.
const REMEMBERED_KINDS_KEY = (clusterId) => `kubevision.kinds.${clusterId}`;

/**
 * Keep a cluster's kind list (from GET /kinds) for the next page load, without the user's verbs (`allowed`):
 * until the server answers again, a remembered kind offers no action.
 * @param {string} clusterId
 * @param {object[]} kinds
 */
export function rememberKinds(clusterId, kinds) {
  try {
    localStorage.setItem(REMEMBERED_KINDS_KEY(clusterId), JSON.stringify(kinds.map((kind) => ({ ...kind, allowed: [] }))));
  } catch {
    // Storage full or disabled: the next load waits for GET /kinds.
  }
}

/**
 * The kind list remembered for a cluster, or null.
 * @param {string|null} clusterId
 * @returns {object[]|null}
 */
export function rememberedKinds(clusterId) {
  if (!clusterId) return null;
  try {
    const kinds = JSON.parse(localStorage.getItem(REMEMBERED_KINDS_KEY(clusterId)) ?? "null");
    return Array.isArray(kinds) && kinds.length ? kinds : null;
  } catch {
    return null;
  }
}

/** The plural display name of a kind, e.g. "StatefulSets" (without its group). */
function pluralLabel(kind) {
  const base = kind.kind || kind.name;
  if (/s$/.test(base) && base === "Endpoints") return base;
  if (/[^aeiou]y$/.test(base)) return `${base.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(base)) return `${base}es`;
  return `${base}s`;
}

// Per kind list: how many kinds share each plural display name (computed once per list).
const labelCounts = new WeakMap();

/**
 * The API group that tells a kind apart from another kind of the same display name in `kinds` ("a.example.com",
 * "core" for the core group), or "" when its name is its own. A built-in kind in its own group keeps the bare name
 * (core "Events" beside "Events · events.k8s.io"), as the API gives it the bare plural.
 * @param {Kind} kind
 * @param {Kind[]|null|undefined} kinds the cluster's kind list (GET /kinds)
 * @returns {string}
 */
export function kindQualifier(kind, kinds) {
  if (!kinds?.length || kind.builtin) return "";
  let counts = labelCounts.get(kinds);
  if (!counts) {
    counts = new Map();
    for (const k of kinds) counts.set(pluralLabel(k), (counts.get(pluralLabel(k)) ?? 0) + 1);
    labelCounts.set(kinds, counts);
  }
  return (counts.get(pluralLabel(kind)) ?? 0) > 1 ? kind.group || "core" : "";
}

/**
 * Display label of a kind in lists and headings: the plural kind name, e.g. "StatefulSets"; with the cluster's
 * kind list, a name two kinds share carries the group: "Widgets · a.example.com".
 * @param {{name: string, kind?: string, group?: string, builtin?: boolean}} kind
 * @param {Kind[]|null} [kinds]
 */
export function kindLabel(kind, kinds) {
  const qualifier = kindQualifier(kind, kinds);
  return qualifier ? `${pluralLabel(kind)} · ${qualifier}` : pluralLabel(kind);
}

/**
 * The singular kind name with the group where two kinds share the name: "Widget · a.example.com" (palette badges).
 * @param {{name: string, kind?: string, group?: string, builtin?: boolean}} kind
 * @param {Kind[]|null} [kinds]
 */
export function kindName(kind, kinds) {
  const qualifier = kindQualifier(kind, kinds);
  return qualifier ? `${kind.kind || kind.name} · ${qualifier}` : kind.kind || kind.name;
}

// A kind matches a query of at least this many characters anywhere in its names (shorter ones: from the start).
const KIND_SUBSTRING_MIN = 3;

/**
 * Kinds to jump to for what was typed in the palette: by URL name ("statefulsets", "widgets.a.example.com"), kind
 * name ("statefulset"), short name ("sts") or display label, each with how well it matched: "exact", "prefix" or
 * "substring"; best first, then in the server's order.
 * @param {Kind[]|null|undefined} kinds
 * @param {string} query
 * @returns {Array<{kind: Kind, match: "exact"|"prefix"|"substring"}>}
 */
export function matchKinds(kinds, query) {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  const ranks = { exact: 0, prefix: 1, substring: 2 };
  /** @type {Array<{kind: Kind, match: "exact"|"prefix"|"substring"}>} */
  const found = [];
  for (const kind of kinds ?? []) {
    const names = [kind.name, kind.name.split(".")[0], (kind.kind ?? "").toLowerCase(), pluralLabel(kind).toLowerCase(),
      ...(kind.shortNames ?? [])].filter(Boolean);
    if (names.includes(needle)) found.push({ kind, match: "exact" });
    else if (names.some((n) => n.startsWith(needle))) found.push({ kind, match: "prefix" });
    else if (needle.length >= KIND_SUBSTRING_MIN && names.some((n) => n.includes(needle))) found.push({ kind, match: "substring" });
  }
  return found.sort((a, b) => ranks[a.match] - ranks[b.match]); // stable: the server's order within a rank
}

/**
 * Group kinds for the sidebar, each group in the server's order (built-ins in their conventional order, then
 * the others by name).
 * @param {Array<{name: string, kind: string, category?: string, custom?: boolean}>} kinds
 * @returns {Array<{id: string, label: string, icon: string, kinds: object[]}>}
 */
export function groupKinds(kinds) {
  const buckets = new Map(GROUPS.map((g) => [g.id, []]));
  for (const kind of kinds) {
    const category = buckets.has(kind.category) ? kind.category : kind.custom ? "custom" : "other";
    buckets.get(category).push(kind);
  }
  return GROUPS.map((group) => ({ ...group, kinds: buckets.get(group.id) })).filter((group) => group.kinds.length > 0);
}

/**
 * The kinds that take part in a view (GET /kinds `views`: "overview", "namespace_summary", "related_pods"…),
 * in the server's order.
 * @param {Kind[]|null|undefined} kinds
 * @param {string} view
 * @returns {Kind[]}
 */
export function kindsInView(kinds, view) {
  return (kinds ?? []).filter((kind) => kind.views?.includes(view));
}

/**
 * The kind that has a capability (GET /kinds `capabilities`), e.g. "logs": the pods.
 * @param {Kind[]|null|undefined} kinds
 * @param {string} capability
 * @returns {Kind|undefined}
 */
export function kindWith(kinds, capability) {
  return (kinds ?? []).find((kind) => kind.capabilities?.includes(capability));
}

/**
 * The kind entry (plural resource name, scope…) for an apiVersion + kind, e.g. an owner reference.
 * @param {Array<{name: string, kind: string, group?: string}>} kinds
 * @param {string} apiVersion "apps/v1" or "v1"
 * @param {string} kind "ReplicaSet"
 * @returns {object|undefined}
 */
export function findKind(kinds, apiVersion, kind) {
  const group = String(apiVersion ?? "").includes("/") ? apiVersion.split("/")[0] : "";
  return (kinds ?? []).find((k) => k.kind === kind && (k.group ?? "") === group)
    ?? (kinds ?? []).find((k) => k.kind === kind);
}

/**
 * How kubectl names a kind on the command line: "deployment", or "certificates.cert-manager.io"
 * for custom resources (unambiguous even when two groups share a kind name).
 * @param {{name: string, kind?: string, group?: string, custom?: boolean}} kind
 * @returns {string}
 */
export function kubectlType(kind) {
  if (!kind) return "";
  if (kind.name.includes(".")) return kind.name;
  if (kind.custom) return kind.group ? `${kind.name}.${kind.group}` : kind.name;
  return (kind.kind || kind.name).toLowerCase();
}
