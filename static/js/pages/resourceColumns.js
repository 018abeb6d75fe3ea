/**
 * Turn the server's table view (`columns: [{name, type}]`, `rows: [{name, namespace, cells}]`)
 * into VirtualTable columns: widths by column meaning, status pills, relative ages, a Name link.
 */
import { html } from "../lib/ui.js";
import { Link, paths } from "../router.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { Age } from "../components/Age.js";

const STATUS_NAMES = /^(status|phase|ready|state|condition|health)$/i;
const AGE_NAMES = /^(age|created|creationtimestamp|last seen|lastseen)$/i;
const NUMBER_TYPES = new Set(["number", "integer", "int", "float"]);
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
 * Build VirtualTable columns.
 * @param {Array<{name: string, type?: string}>} serverColumns
 * @param {{clusterId: string, resource: string, showNamespace: boolean}} context
 * @returns {import("../components/VirtualTable.js").Column[]}
 */
export function tableColumns(serverColumns, { clusterId, resource, showNamespace }) {
  const columns = [];
  const hasName = serverColumns.some((c) => /^name$/i.test(c.name));
  const hasNamespace = serverColumns.some((c) => /^namespace$/i.test(c.name));
  const nameLink = (row) => html`<${Link} class="cell-link" title=${row.name}
      href=${paths.detail(clusterId, row.namespace, resource, row.name)}>${row.name}</${Link}>`;

  if (!hasName) columns.push({ key: "name", label: "Name", ...widthFor("name"), value: (row) => row.name, render: nameLink });
  if (showNamespace && !hasNamespace) {
    columns.push({ key: "namespace", label: "Namespace", ...widthFor("namespace"), value: (row) => row.namespace });
  }
  serverColumns.forEach((column, index) => {
    const name = column.name ?? `Column ${index + 1}`;
    if (/^namespace$/i.test(name) && !showNamespace) return;
    const type = String(column.type ?? "").toLowerCase();
    const value = (row) => row.cells?.[index];
    /** @type {import("../components/VirtualTable.js").Column} */
    const spec = { key: `c${index}`, label: name, ...widthFor(name), value };
    if (/^name$/i.test(name)) {
      spec.key = "name";
      spec.render = nameLink;
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

function ageCell(value) {
  if (value === null || value === undefined || value === "") return html`<span class="muted">—</span>`;
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
