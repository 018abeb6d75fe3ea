/**
 * Layered layout of a namespace's object graph, by kind column:
 *   Ingress → Service → Deployment/StatefulSet/DaemonSet/CronJob → ReplicaSet/Job → Pod(Group)
 *   → PVC/ConfigMap/Secret → PV
 * Within a column nodes are ordered to reduce edge crossings (a few barycenter sweeps). Pods of an
 * owner with many pods can be collapsed into one group node first (`groupPods`).
 */

/** Column of each kind; unknown kinds go to the config column. */
export const COLUMNS = {
  Ingress: 0, Service: 1, Deployment: 2, StatefulSet: 2, DaemonSet: 2, CronJob: 2,
  ReplicaSet: 3, Job: 3, Pod: 4, PodGroup: 4, PersistentVolumeClaim: 5, ConfigMap: 5, Secret: 5, PersistentVolume: 6,
};
export const NODE_W = 212;
export const NODE_H = 46;
const COL_GAP = 84;
const ROW_GAP = 14;

/**
 * Collapse the pods of every owner that has more than `max` pods into a PodGroup node.
 * @param {{nodes: object[], edges: object[]}} graph
 * @param {{max?: number, expanded?: Set<string>}} [options] `expanded` owner ids are never collapsed
 * @returns {{nodes: object[], edges: object[]}}
 */
export function groupPods({ nodes, edges }, { max = 6, expanded = new Set() } = {}) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ownerOf = new Map();
  for (const e of edges) {
    if (e.type === "owns" && byId.get(e.target)?.kind === "Pod") ownerOf.set(e.target, e.source);
  }
  const podsBy = new Map();
  for (const [pod, owner] of ownerOf) {
    if (!podsBy.has(owner)) podsBy.set(owner, []);
    podsBy.get(owner).push(pod);
  }
  const replace = new Map();
  const groups = [];
  for (const [owner, pods] of podsBy) {
    if (pods.length <= max || expanded.has(owner)) continue;
    const id = `PodGroup/${owner}`;
    const statusCounts = {};
    for (const pod of pods) {
      const status = byId.get(pod).status ?? "Unknown";
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
    }
    const statuses = Object.keys(statusCounts);
    groups.push({ id, kind: "PodGroup", name: `${pods.length} pods`, owner, count: pods.length, statusCounts,
      status: statuses.length === 1 ? statuses[0] : "Mixed", group: byId.get(pods[0]).group, local: true });
    for (const pod of pods) replace.set(pod, id);
  }
  if (!groups.length) return { nodes, edges };
  const seen = new Set();
  const outEdges = [];
  for (const e of edges) {
    const source = replace.get(e.source) ?? e.source;
    const target = replace.get(e.target) ?? e.target;
    const key = `${source}|${target}|${e.type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    outEdges.push({ ...e, source, target });
  }
  return { nodes: [...nodes.filter((n) => !replace.has(n.id)), ...groups], edges: outEdges };
}

/**
 * Positions for every node.
 * @param {{nodes: object[], edges: object[]}} graph
 * @returns {{positions: Map<string, {x: number, y: number, column: number}>, width: number, height: number}}
 */
export function layoutGraph({ nodes, edges }) {
  const rawColumns = new Map();
  for (const node of nodes) {
    const column = COLUMNS[node.kind] ?? 5;
    if (!rawColumns.has(column)) rawColumns.set(column, []);
    rawColumns.get(column).push(node);
  }
  // Drop empty columns so the graph stays compact.
  const columnIds = [...rawColumns.keys()].sort((a, b) => a - b);
  const columns = columnIds.map((id) => rawColumns.get(id).sort((a, b) =>
    String(a.group ?? a.id).localeCompare(String(b.group ?? b.id)) || a.name.localeCompare(b.name)));
  const index = new Map();
  const columnOf = new Map();
  columns.forEach((col, c) => col.forEach((node, i) => {
    index.set(node.id, i);
    columnOf.set(node.id, c);
  }));
  const neighbours = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    if (!neighbours.has(e.source) || !neighbours.has(e.target)) continue;
    neighbours.get(e.source).push(e.target);
    neighbours.get(e.target).push(e.source);
  }
  const sweep = (order) => {
    for (const c of order) {
      const col = columns[c];
      const weight = new Map();
      for (const node of col) {
        const near = neighbours.get(node.id).filter((id) => columnOf.get(id) !== c);
        weight.set(node.id, near.length ? near.reduce((s, id) => s + index.get(id), 0) / near.length : index.get(node.id));
      }
      col.sort((a, b) => weight.get(a.id) - weight.get(b.id));
      col.forEach((node, i) => index.set(node.id, i));
    }
  };
  const forward = columns.map((_, c) => c);
  for (let pass = 0; pass < 3; pass++) {
    sweep(forward.slice(1));
    sweep(forward.slice(0, -1).reverse());
  }
  const tallest = Math.max(1, ...columns.map((col) => col.length));
  const height = tallest * (NODE_H + ROW_GAP) - ROW_GAP;
  const positions = new Map();
  columns.forEach((col, c) => {
    const colHeight = col.length * (NODE_H + ROW_GAP) - ROW_GAP;
    const top = (height - colHeight) / 2;
    col.forEach((node, i) => positions.set(node.id, { x: c * (NODE_W + COL_GAP), y: top + i * (NODE_H + ROW_GAP), column: c }));
  });
  return { positions, width: columns.length * (NODE_W + COL_GAP) - COL_GAP, height };
}
