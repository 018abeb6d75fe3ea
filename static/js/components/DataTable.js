/**
 * The one table of list-like pages, with its loading, empty and error states:
 * - error: what went wrong (the ApiError's message and request id) and a Retry button;
 * - loading with no rows yet: a spinner;
 * - no rows: the page's empty message;
 * - rows: VirtualTable (`virtual`, for live lists of any size: the header stays and the loading/empty
 *   message shows in its body) or a plain <table> (small, server-paged lists).
 */
import { html, cx } from "../lib/ui.js";
import { EmptyState } from "./EmptyState.js";
import { LoadingBlock, Spinner } from "./Spinner.js";
import { VirtualTable, formatCell } from "./VirtualTable.js";

/**
 * A plain table's column (VirtualTable columns, which also carry `value` for sorting, fit too).
 * @typedef {object} TableColumn
 * @property {string} key stable id
 * @property {string} label header text
 * @property {(row: any) => any} [render] cell content
 * @property {(row: any) => any} [value] raw value, shown as text when there is no `render`
 * @property {string} [className] extra class on the column's cells
 * @property {"left"|"right"} [align]
 */

/**
 * @param {{
 *   label: string, columns: TableColumn[], rows: any[], rowKey: (row: any, index: number) => string,
 *   loading?: boolean, error?: any, onRetry?: () => void, errorTitle?: string,
 *   empty: string, emptyHint?: any, emptyIcon?: string,
 *   virtual?: boolean, class?: string, rowClass?: (row: any) => string|false|undefined,
 *   sort?: {key: string, dir: "asc"|"desc"} | null, onSortChange?: (sort: {key: string, dir: string}) => void,
 *   selectable?: boolean, selected?: Set<string>, onSelectionChange?: (keys: Set<string>) => void,
 *   onRowActivate?: (row: any) => void, activateOnClick?: boolean,
 *   onRowMenu?: (row: any, place: import("./VirtualTable.js").RowMenuPlace) => void, rowMenuLabel?: (row: any) => string,
 * }} props
 *   `label` names the table (aria-label; "Could not load <label>" is the default error title);
 *   `empty` is the message when there are no rows (`emptyHint` a line under it on plain tables);
 *   a plain table's `rowKey` also gets the row's index (for rows without an identity of their own);
 *   the other props go to VirtualTable.
 */
export function DataTable({
  label, columns, rows, rowKey, loading = false, error = null, onRetry, errorTitle,
  empty, emptyHint, emptyIcon = "list", virtual = false, class: className, rowClass, ...virtualProps
}) {
  if (error) {
    return html`<${ErrorState} title=${errorTitle ?? `Could not load ${label.toLowerCase()}`} error=${error} onRetry=${onRetry} />`;
  }
  if (virtual) {
    return html`<${VirtualTable} label=${label} columns=${/** @type {import("./VirtualTable.js").Column[]} */ (columns)}
      rows=${rows} rowKey=${rowKey} ...${virtualProps}
      empty=${loading ? html`<span class="loading-inline"><${Spinner} size="sm" inline /> Loading…</span>` : empty} />`;
  }
  if (loading && rows.length === 0) return html`<${LoadingBlock} label=${`Loading ${label.toLowerCase()}…`} />`;
  if (rows.length === 0) return html`<${EmptyState} icon=${emptyIcon} title=${empty}>${emptyHint}</${EmptyState}>`;
  return html`<div class="data-table-wrap"><table class=${cx("data-table", className)} aria-label=${label}>
    <thead><tr>${columns.map((column) => html`<th key=${column.key} class=${column.align === "right" ? "align-right" : undefined}>${column.label}</th>`)}</tr></thead>
    <tbody>${rows.map((row, index) => html`<tr key=${rowKey(row, index)} class=${cx(rowClass?.(row)) || undefined}>
      ${columns.map((column) => html`<td key=${column.key} class=${cx(column.className, column.align === "right" && "align-right") || undefined}>
        ${column.render ? column.render(row) : formatCell(column.value?.(row))}</td>`)}
    </tr>`)}</tbody>
  </table></div>`;
}

/**
 * A failed list: the server's message, the request id to quote to an operator, and Retry.
 * @param {{title: string, error: any, onRetry?: () => void}} props
 */
function ErrorState({ title, error, onRetry }) {
  return html`<${EmptyState} icon="alert" tone="error" title=${title}
      action=${onRetry && html`<button type="button" class="button" onClick=${onRetry}>Retry</button>`}>
    <div>${error.message ?? String(error)}</div>
    ${error.requestId && html`<div class="muted mono small">Request ${error.requestId}</div>`}
  </${EmptyState}>`;
}
