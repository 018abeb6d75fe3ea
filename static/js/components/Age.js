/** A live relative age ("45s", "3h20m") with the absolute time as a tooltip. */
import { html } from "../lib/ui.js";
import { formatAge } from "../lib/format.js";
import { useNow } from "../lib/clock.js";

/**
 * @param {{value: string|number|null|undefined, suffix?: string}} props ISO timestamp or epoch ms
 */
export function Age({ value, suffix = "" }) {
  const now = useNow();
  if (value === null || value === undefined || value === "") return html`<span class="muted">—</span>`;
  const time = typeof value === "number" ? value : Date.parse(value);
  if (Number.isNaN(time)) return String(value);
  return html`<time datetime=${new Date(time).toISOString()} title=${new Date(time).toLocaleString()}>${formatAge(time, now)}${suffix}</time>`;
}
