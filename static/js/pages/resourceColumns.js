/**
 * Turn the server's table view (`columns: [{id, name, type, priority}]`, `rows: [{name, namespace, cells}]`)
 * into VirtualTable columns: widths by column meaning, status pills, relative ages and durations, a Name link,
 * each sorted by its type as the server sorts it (lib/tableSort.js).
 */
import { html } from "../lib/ui.js";
import { Link, paths } from "../router.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { Age, Duration } from "../components/Age.js";
import { columnSortKey } from "../lib/tableSort.js";

const STATUS_NAMES = /^(status|phase|ready|state|condition|health)$/i;
const AGE_NAMES = /^(age|created|creationtimestamp|last seen|lastseen)$/i;
// Right-aligned, as numbers are in VirtualTable.
const NUMBER_TYPES = new Set(["number", "integer", "int", "float", "quantity"]);
const NONE = "<none>";
const DATE_TYPES = new Set(["date", "date-time", "datetime", "timestamp", "age", "time"]);

/** @type {Array<[RegExp, number, number]>} */
const WIDTHS = [
  [/^name$/i, 240, 3],
  [/^namespace$/i, 150, 1],
  [/^(status|phase|state)$/i, 140, 0],
  [/^ready$/i, 90, 0],
  [/^(restarts|replicas|desired|current|available|up-to-date|completions|count|data|min|max|active)$/i, 100, 0],
  [/^age$/i, 80, 0],
  [/^(ip|cluster-ip|external-ip|pod ip)$/i, 130, 1],
  [/^node$/i, 170, 1],
  [/^(labels|selector|images?|containers?|ports?|message)$/i, 200, 2],
];

function widthFor(name) {
  for (const [pattern, min, grow] of WIDTHS) if (pattern.test(name)) return { minWidth: min, grow };
  return { minWidth: 120, grow: 1 };
}

/**
 * Build VirtualTable columns, one per server column (wide ones included: the page picks the visible ones), keyed by
 * the server's column id (so `?sort=` means the same as the API's `sort`) and sorted by the column's type.
 * @param {Array<{id?: string, name: string, type?: string, priority?: number}>} serverColumns
 * @param {{clusterId: string, resource: string, showNamespace: boolean}} context
 * @returns {Array<import("../components/VirtualTable.js").Column & {priority: number}>}
 */
export function tableColumns(serverColumns, { clusterId, resource, showNamespace }) {
  const columns = [];
  const nameLink = (row, text = row.name) => html`<${Link} class="cell-link" title=${text}
      href=${paths.detail(row.cluster ?? clusterId, row.namespace, resource, row.name)}>${text}</${Link}>`;

  serverColumns.forEach((column, index) => {
    const name = column.name ?? `Column ${index + 1}`;
    const id = column.id ?? `c${index}`;
    if (id === "namespace" && !showNamespace) return;
    const type = String(column.type ?? "").toLowerCase();
    const value = (row) => row.cells?.[index];
    /** @type {import("../components/VirtualTable.js").Column & {priority: number}} */
    const spec = {
      key: id, label: name, priority: column.priority ?? 0, ...widthFor(name), value,
      sortKey: columnSortKey({ id, type }, index),
    };
    if (id === "name") {
      spec.render = (row) => nameLink(row, value(row) ?? row.name); // e.g. a default storage class's "(default)"
    } else if (type === "duration") {
      spec.render = (row) => html`<${Duration} value=${value(row)} />`;
    } else if (DATE_TYPES.has(type) || AGE_NAMES.test(name)) {
      spec.render = (row) => ageCell(value(row));
    } else if (STATUS_NAMES.test(name) || type === "status") {
      spec.render = (row) => (value(row) === null || value(row) === undefined || value(row) === ""
        ? html`<span class="muted">—</span>` : html`<${StatusBadge} value=${value(row)} />`);
    } else if (NUMBER_TYPES.has(type)) {
      spec.align = "right";
      spec.className = "cell-number";
    }
    columns.push(spec);
  });
  return columns;
}

/** An age-like cell: a live age for a timestamp, `<none>` where the server has none (as kubectl prints it). */
function ageCell(value) {
  if (value === null || value === undefined || value === "") return html`<span class="muted">${NONE}</span>`;
  const text = String(value);
  // The server may send a timestamp (rendered as a live relative age) or a preformatted age.
  return /^\d{4}-\d{2}-\d{2}T/.test(text) ? html`<${Age} value=${text} />` : text;
}

/**
 * Stable key of a row (namespace/name is unique within a kind; uid changes on re-create).
 * @param {{name: string, namespace?: string}} row
 */
export function rowKey(row) {
  return `${row.namespace ?? ""}/${row.name}`;
}
