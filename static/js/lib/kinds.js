/**
 * Presentation facts about resource kinds: sidebar groups, their order and icons, display
 * labels, and the built-in kinds used when the server's kind list is unavailable.
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

const BUILTINS = [
  ["pods", "Pod", "workloads", true], ["deployments", "Deployment", "workloads", true],
  ["statefulsets", "StatefulSet", "workloads", true], ["daemonsets", "DaemonSet", "workloads", true],
  ["replicasets", "ReplicaSet", "workloads", true], ["jobs", "Job", "workloads", true],
  ["cronjobs", "CronJob", "workloads", true],
  ["services", "Service", "network", true], ["ingresses", "Ingress", "network", true],
  ["endpoints", "Endpoints", "network", true], ["networkpolicies", "NetworkPolicy", "network", true],
  ["horizontalpodautoscalers", "HorizontalPodAutoscaler", "config", true],
  ["configmaps", "ConfigMap", "config", true], ["secrets", "Secret", "config", true],
  ["resourcequotas", "ResourceQuota", "config", true], ["limitranges", "LimitRange", "config", true],
  ["persistentvolumeclaims", "PersistentVolumeClaim", "storage", true],
  ["persistentvolumes", "PersistentVolume", "storage", false], ["storageclasses", "StorageClass", "storage", false],
  ["nodes", "Node", "cluster", false], ["namespaces", "Namespace", "cluster", false], ["events", "Event", "cluster", true],
  ["serviceaccounts", "ServiceAccount", "access", true], ["roles", "Role", "access", true],
  ["rolebindings", "RoleBinding", "access", true], ["clusterroles", "ClusterRole", "access", false],
  ["clusterrolebindings", "ClusterRoleBinding", "access", false],
];

/** Built-in kinds in sidebar order (fallback when GET /kinds is unavailable). */
export const BUILTIN_KINDS = BUILTINS.map(([name, kind, category, namespaced]) => ({
  name, kind, category, namespaced, group: "", version: "", verbs: [], cached: false,
}));

const ORDER = new Map(BUILTINS.map(([name], index) => [name, index]));

// The last kind list of each cluster, shared by the tabs, so a page load need not wait for GET /kinds.
const REMEMBERED_KINDS_KEY = (clusterId) => `kubevision.kinds.${clusterId}`;

/**
 * Keep a cluster's kind list (from GET /kinds) for the next page load.
 * @param {string} clusterId
 * @param {object[]} kinds
 */
export function rememberKinds(clusterId, kinds) {
  try {
    localStorage.setItem(REMEMBERED_KINDS_KEY(clusterId), JSON.stringify(kinds));
  } catch {
    // Storage full or disabled: the built-in kinds remain the fallback.
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
 * Group kinds for the sidebar: built-ins in their conventional order, custom kinds by name.
 * @param {Array<{name: string, kind: string, category?: string}>} kinds
 * @returns {Array<{id: string, label: string, icon: string, kinds: object[]}>}
 */
export function groupKinds(kinds) {
  const buckets = new Map(GROUPS.map((g) => [g.id, []]));
  for (const kind of kinds) {
    const category = buckets.has(kind.category) ? kind.category : kind.custom ? "custom" : "other";
    buckets.get(category).push(kind);
  }
  return GROUPS.map((group) => ({
    ...group,
    kinds: buckets.get(group.id).sort((a, b) => {
      const oa = ORDER.get(a.name) ?? 1e6;
      const ob = ORDER.get(b.name) ?? 1e6;
      return oa - ob || kindLabel(a).localeCompare(kindLabel(b));
    }),
  })).filter((group) => group.kinds.length > 0);
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
