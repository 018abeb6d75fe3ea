/**
 * Building blocks of object summaries: a titled card, a property list, label chips, a small data
 * table and a conditions table. Pure presentation (no fetching).
 */
import { html, cx } from "../lib/ui.js";
import { Link } from "../router.js";
import { StatusBadge } from "./StatusBadge.js";
import { Age } from "./Age.js";

/**
 * A titled section card.
 * @param {{title: any, actions?: any, children: any, class?: string}} props
 */
export function Section({ title, actions, children, class: className }) {
  return html`<section class=${cx("card section-card", className)}>
    <header class="section-header"><h2 class="section-heading">${title}</h2>${actions && html`<div class="section-actions">${actions}</div>`}</header>
    ${children}
  </section>`;
}

/**
 * Label / value rows; rows whose value is null, undefined or "" are skipped.
 * @param {{rows: Array<[string, any]>, mono?: boolean}} props
 */
export function PropertyList({ rows }) {
  const shown = rows.filter(([, value]) => value !== null && value !== undefined && value !== "" && value !== false);
  if (!shown.length) return html`<p class="muted">Nothing to show.</p>`;
  return html`<dl class="properties">${shown.map(([key, value]) => html`<div class="property" key=${key}><dt>${key}</dt><dd>${value}</dd></div>`)}</dl>`;
}

/**
 * key=value chips (labels, selectors). With `hrefFor`, each chip links somewhere (e.g. the list filtered by
 * that label).
 * @param {{values?: Record<string, string>|null, empty?: string, hrefFor?: (key: string, value: string) => string}} props
 */
export function LabelChips({ values, empty = "None", hrefFor }) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return html`<span class="muted">${empty}</span>`;
  return html`<div class="chips">${entries.map(([k, v]) => {
    const content = html`<span class="chip-key">${k}</span>${v !== "" && html`<span class="chip-eq">=</span><span class="chip-value">${v}</span>`}`;
    return hrefFor
      ? html`<${Link} class="chip chip-label chip-link mono" key=${k} href=${hrefFor(k, v)} title=${`List objects with ${k}=${v}`}>${content}</${Link}>`
      : html`<span class="chip chip-label mono" key=${k} title=${`${k}=${v}`}>${content}</span>`;
  })}</div>`;
}

/**
 * A compact table of an object's parts (containers, ports, conditions); list pages use components/DataTable.js.
 * @param {{columns: string[], rows: any[][], label?: string, empty?: string, class?: string}} props
 */
export function CompactTable({ columns, rows, label, empty = "None", class: className }) {
  if (!rows.length) return html`<p class="muted">${empty}</p>`;
  return html`<div class="data-table-wrap"><table class=${cx("data-table", className)} aria-label=${label}>
    <thead><tr>${columns.map((c) => html`<th key=${c}>${c}</th>`)}</tr></thead>
    <tbody>${rows.map((row, i) => html`<tr key=${i}>${row.map((cell, j) => html`<td key=${j}>${cell ?? html`<span class="muted">—</span>`}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

/**
 * status.conditions as a table with coloured status and live ages.
 * @param {{conditions?: Array<{type: string, status: string, reason?: string, message?: string,
 *          lastTransitionTime?: string, lastHeartbeatTime?: string}>, invert?: string[]}} props
 *   `invert` lists condition types where "True" is bad (node pressure conditions).
 */
export function Conditions({ conditions, invert = [] }) {
  const rows = (conditions ?? []).map((c) => {
    const good = invert.includes(c.type) ? c.status === "False" : c.status === "True";
    const tone = c.status === "Unknown" ? "warn" : good ? "ok" : "error";
    return [html`<strong>${c.type}</strong>`, html`<${StatusBadge} value=${c.status} tone=${tone} />`, c.reason || null,
      c.message ? html`<span class="cell-message">${c.message}</span>` : null,
      c.lastTransitionTime || c.lastHeartbeatTime ? html`<${Age} value=${c.lastTransitionTime || c.lastHeartbeatTime} suffix=" ago" />` : null];
  });
  return html`<${CompactTable} label="Conditions" columns=${["Type", "Status", "Reason", "Message", "Last transition"]} rows=${rows}
    empty="No conditions reported." class="conditions-table" />`;
}
