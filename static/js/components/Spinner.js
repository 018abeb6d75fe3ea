/** Loading indicator; `label` is announced to screen readers. */
import { html, cx } from "../lib/ui.js";

/**
 * @param {{size?: "sm"|"md"|"lg", label?: string, inline?: boolean}} props
 */
export function Spinner({ size = "md", label = "Loading", inline = false }) {
  return html`<span class=${cx("spinner", `spinner-${size}`, inline && "spinner-inline")} role="status">
    <span class="spinner-ring" aria-hidden="true"></span>
    <span class="visually-hidden">${label}</span>
  </span>`;
}

/** A centred spinner with text, for whole-page loads. */
export function LoadingBlock({ label = "Loading…" }) {
  return html`<div class="loading-block"><${Spinner} size="lg" label=${label} /><span>${label}</span></div>`;
}
