/**
 * Presentation facts about resource kinds: sidebar groups, their order and icons, display labels. What a
 * kind is and can do, and what the signed-in user may do with it, come from GET /clusters/{id}/kinds
 * (`capabilities`, `views`, `sensitive`, `allowed`), never from lists kept here.
 */

/**
 * One entry of GET /clusters/{id}/kinds (the fields the browser reads).
 * @typedef {{name: string, kind?: string, group?: string, namespaced?: boolean, custom?: boolean, category?: string,
 *            verbs?: string[], capabilities?: string[], views?: string[], sensitive?: boolean, allowed?: string[]}} Kind
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

/**
 * Display label of a kind in lists and headings: the plural kind name, e.g. "StatefulSets".
 * @param {{name: string, kind?: string}} kind
 */
export function kindLabel(kind) {
  const base = kind.kind || kind.name;
  if (/s$/.test(base) && base === "Endpoints") return base;
  if (/[^aeiou]y$/.test(base)) return `${base.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(base)) return `${base}es`;
  return `${base}s`;
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
