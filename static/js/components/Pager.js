/** Previous / next paging with "1–50 of 312". */
import { html } from "../lib/ui.js";
import { formatCount } from "../lib/format.js";
import { Icon } from "./Icon.js";

/**
 * @param {{page: number, pageSize: number, total: number, onPage: (page: number) => void}} props
 */
export function Pager({ page, pageSize, total, onPage }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return html`<nav class="pager" aria-label="Pages">
    <span class="muted">${formatCount(first)}–${formatCount(last)} of ${formatCount(total)}</span>
    <button type="button" class="button" disabled=${page <= 1} onClick=${() => onPage(page - 1)} aria-label="Previous page">
      <${Icon} name="chevronLeft" size=${14} /> Previous</button>
    <span class="pager-page">Page ${page} of ${pages}</span>
    <button type="button" class="button" disabled=${page >= pages} onClick=${() => onPage(page + 1)} aria-label="Next page">
      Next <${Icon} name="chevronRight" size=${14} /></button>
  </nav>`;
}
