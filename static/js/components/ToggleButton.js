/** A pressed/unpressed toolbar button (aria-pressed), for options such as Follow or Wrap. */
import { html, cx } from "../lib/ui.js";
import { Icon } from "./Icon.js";

/**
 * @param {{pressed: boolean, onChange: (pressed: boolean) => void, label: string, icon?: string,
 *          disabled?: boolean, title?: string}} props
 */
export function ToggleButton({ pressed, onChange, label, icon, disabled = false, title }) {
  return html`<button type="button" class=${cx("button", "toggle-button", pressed && "is-pressed")} aria-pressed=${pressed ? "true" : "false"}
      disabled=${disabled} title=${title} onClick=${() => onChange(!pressed)}>
    ${icon && html`<${Icon} name=${icon} size=${14} />`}${label}
  </button>`;
}
