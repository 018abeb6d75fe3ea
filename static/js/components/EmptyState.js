/** A friendly block for "nothing here" and "could not load" situations. */
import { html, cx } from "../lib/ui.js";
import { Icon } from "./Icon.js";

/**
 * @param {{icon?: string, title: string, children?: any, tone?: "error"|"", action?: any}} props
 */
export function EmptyState({ icon = "info", title, children, tone = "", action }) {
  return html`<div class=${cx("empty-state", tone && `empty-state-${tone}`)}>
    <div class="empty-state-icon"><${Icon} name=${icon} size=${28} /></div>
    <h2 class="empty-state-title">${title}</h2>
    ${children && html`<div class="empty-state-text">${children}</div>`}
    ${action && html`<div class="empty-state-action">${action}</div>`}
  </div>`;
}
