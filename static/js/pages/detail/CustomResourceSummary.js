/**
 * The Overview summary of a custom object: its CRD's printer columns as summary properties (the cells the server
 * computes for the kind's table, read as the one-row table of this object), its conditions, then its spec and
 * status as nested properties. The printer row is read again whenever the object changes (new resourceVersion).
 */
import { html, useEffect, useState } from "../../lib/ui.js";
import { fetchTableRow } from "../../api/clusters.js";
import { tableColumns } from "../resourceColumns.js";
import { Conditions, PropertyList, Section } from "../../components/Properties.js";

// Columns every table has (the object's name and namespace): already in the page header and metadata.
const LEADING_COLUMNS = new Set(["name", "namespace"]);
// Generic tables (a CRD without printer columns) have only these: nothing to summarise.
const GENERIC_COLUMNS = new Set(["name", "namespace", "age"]);
// Nested values deeper than this are shown as compact JSON.
const MAX_NESTED_DEPTH = 6;

/**
 * @param {{object: object, context: {clusterId: string, resource: string, kind?: object}}} props
 */
export function CustomResourceSummary({ object, context }) {
  const { spec, status } = object;
  const { conditions, ...otherStatus } = status ?? {};
  return html`<${PrinterColumns} object=${object} context=${context} />
    ${Array.isArray(conditions) && html`<${Section} title="Conditions"><${Conditions} conditions=${conditions} /></${Section}>`}
    <${Section} title="Spec" class="custom-spec">
      ${spec === undefined ? html`<p class="muted">This object has no spec.</p>` : html`<${NestedValue} value=${spec} depth=${0} />`}
    </${Section}>
    <${Section} title="Status" class="custom-status">
      ${status === undefined ? html`<p class="muted">No status reported.</p>`
        : html`<${NestedValue} value=${Array.isArray(conditions) ? otherStatus : status} depth=${0} />`}
    </${Section}>`;
}

function PrinterColumns({ object, context }) {
  const { clusterId, resource, kind } = context;
  const declared = (kind?.columns ?? []).some((column) => !GENERIC_COLUMNS.has(column.id));
  const meta = object.metadata ?? {};
  const [table, setTable] = useState(null);
  useEffect(() => {
    if (!declared) return undefined;
    const controller = new AbortController();
    fetchTableRow(clusterId, resource, meta.name, { namespace: meta.namespace, signal: controller.signal }).then(
      (answer) => setTable(answer),
      () => !controller.signal.aborted && setTable(null), // the spec and status below still show everything
    );
    return () => controller.abort();
  }, [declared, clusterId, resource, meta.name, meta.namespace, meta.resourceVersion]);
  if (!declared || !table?.row) return null;
  const columns = tableColumns(table.columns, { clusterId, resource, showNamespace: true });
  const rows = columns.filter((column) => !LEADING_COLUMNS.has(column.key)).map((column) => {
    const value = column.value(table.row);
    const shown = value === null || value === undefined || value === "" ? html`<span class="muted">—</span>`
      : column.render ? column.render(table.row) : html`<span class="mono">${String(value)}</span>`;
    return [column.label, shown];
  });
  return html`<${Section} title="Summary" class="custom-columns"><${PropertyList} rows=${rows} /></${Section}>`;
}

/**
 * A JSON value as nested properties: objects as key / value lists, lists of plain values inline, lists of objects
 * as numbered entries.
 * @param {{value: any, depth: number}} props
 */
function NestedValue({ value, depth }) {
  if (value === null) return html`<span class="muted mono">null</span>`;
  if (typeof value !== "object") return html`<span class="mono">${String(value)}</span>`;
  if (depth >= MAX_NESTED_DEPTH) return html`<code class="mono small">${JSON.stringify(value)}</code>`;
  if (Array.isArray(value)) {
    if (!value.length) return html`<span class="muted">[]</span>`;
    if (value.every((item) => item === null || typeof item !== "object")) {
      return html`<span class="mono">${value.map((item) => String(item)).join(", ")}</span>`;
    }
    return html`<ol class="nested-list">${value.map((item, index) => html`<li key=${index}>
      <${NestedValue} value=${item} depth=${depth + 1} /></li>`)}</ol>`;
  }
  const entries = Object.entries(value);
  if (!entries.length) return html`<span class="muted">{}</span>`;
  return html`<dl class="properties nested-properties">${entries.map(([key, item]) => html`<div class="property" key=${key}>
    <dt class="mono">${key}</dt><dd><${NestedValue} value=${item} depth=${depth + 1} /></dd></div>`)}</dl>`;
}
