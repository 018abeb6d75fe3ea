/**
 * Developer demo at /_dev/table?rows=N: VirtualTable over N synthetic rows, no server data and
 * no sign-in. Used by the browser tests to check that the DOM stays bounded at 10,000 rows.
 */
import { html, useMemo, useState } from "../lib/ui.js";
import { formatCount } from "../lib/format.js";
import { VirtualTable } from "../components/VirtualTable.js";
import { StatusBadge } from "../components/StatusBadge.js";

const DEFAULT_ROWS = 10000;
const MAX_ROWS = 200000;
const PHASES = ["Running", "Running", "Running", "Pending", "CrashLoopBackOff", "Succeeded", "ContainerCreating"];

/** @param {{query: URLSearchParams}} props */
export function DevTablePage({ query }) {
  const count = Math.min(MAX_ROWS, Math.max(0, Number(query.get("rows")) || DEFAULT_ROWS));
  const rows = useMemo(() => syntheticRows(count), [count]);
  const [sort, setSort] = useState({ key: "name", dir: "asc" });
  const [selected, setSelected] = useState(() => new Set());
  const columns = useMemo(() => [
    { key: "name", label: "Name", minWidth: 260, grow: 3, value: (r) => r.name, render: (r) => html`<span class="cell-link">${r.name}</span>` },
    { key: "namespace", label: "Namespace", minWidth: 140, value: (r) => r.namespace },
    { key: "ready", label: "Ready", minWidth: 90, grow: 0, value: (r) => r.ready, render: (r) => html`<${StatusBadge} value=${r.ready} />` },
    { key: "status", label: "Status", minWidth: 160, grow: 0, value: (r) => r.status, render: (r) => html`<${StatusBadge} value=${r.status} />` },
    { key: "restarts", label: "Restarts", minWidth: 100, grow: 0, align: "right", value: (r) => r.restarts },
    { key: "node", label: "Node", minWidth: 150, value: (r) => r.node },
  ], []);
  return html`<div class="dev-page">
    <div class="page-header">
      <div class="page-heading"><h1 class="page-title">VirtualTable demo</h1>
        <span class="count-badge">${formatCount(rows.length)}</span>
        <span class="chip">developer page · synthetic data</span></div>
      <div class="page-subtitle">${formatCount(selected.size)} selected</div>
    </div>
    <div class="table-region">
      <${VirtualTable} label="Synthetic pods" columns=${columns} rows=${rows} rowKey=${(r) => r.name}
        sort=${sort} onSortChange=${setSort} selectable selected=${selected} onSelectionChange=${setSelected} />
    </div>
  </div>`;
}

function syntheticRows(count) {
  const rows = new Array(count);
  for (let i = 0; i < count; i++) {
    const status = PHASES[i % PHASES.length];
    rows[i] = {
      name: `pod-${String(i).padStart(5, "0")}-${(i * 2654435761 % 0xfffff).toString(16)}`,
      namespace: `team-${i % 12}`,
      ready: status === "Running" ? "1/1" : "0/1",
      status,
      restarts: status === "CrashLoopBackOff" ? (i % 17) + 1 : 0,
      node: `node-${i % 40}`,
    };
  }
  return rows;
}
