/** Live relative times as kubectl prints them: an age ("45s", "3h20m") with the absolute time as a tooltip, and a Job's duration. */
import { html } from "../lib/ui.js";
import { formatAge, humanDuration } from "../lib/format.js";
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

/**
 * A Job's DURATION as kubectl prints it (`humanDuration`): from start to end, or ticking from start while the end
 * is null. Shown empty without a start (the job has not started), like kubectl.
 * @param {{value: [string, string|null] | null | undefined}} props
 */
export function Duration({ value }) {
  const [start, end] = Array.isArray(value) ? value : [];
  const begin = start ? Date.parse(start) : NaN;
  if (Number.isNaN(begin)) return html`<span class="muted">—</span>`;
  if (!end) return html`<${RunningDuration} begin=${begin} />`;
  const finish = Date.parse(end);
  return html`<span title=${`${new Date(begin).toLocaleString()} – ${new Date(finish).toLocaleString()}`}>${humanDuration((finish - begin) / 1000)}</span>`;
}

/** A duration still running: re-rendered by the shared clock. */
function RunningDuration({ begin }) {
  const now = useNow();
  return html`<span title=${`Running since ${new Date(begin).toLocaleString()}`}>${humanDuration(Math.max(0, (now - begin) / 1000))}</span>`;
}
