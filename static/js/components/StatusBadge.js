/** Coloured status pill (Running, Pending, CrashLoopBackOff, 1/2 …) using the shared tone rules. */
import { html, cx } from "../lib/ui.js";
import { statusTone } from "../lib/format.js";

/**
 * @param {{value: any, tone?: string}} props tone overrides the guess ("ok" | "warn" | "error" | "")
 */
export function StatusBadge({ value, tone }) {
  const resolved = tone ?? statusTone(value);
  return html`<span class=${cx("status", resolved && `status-${resolved}`)}>
    <span class="status-dot" aria-hidden="true"></span>${String(value ?? "—")}
  </span>`;
}
