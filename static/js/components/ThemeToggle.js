/** Cycles the theme preference system → light → dark; the icon shows the current preference. */
import { html } from "../lib/ui.js";
import { Icon } from "./Icon.js";

const ICONS = { system: "monitor", light: "sun", dark: "moon" };
const NEXT = { system: "light", light: "dark", dark: "system" };

/**
 * @param {{theme: "system"|"light"|"dark", onToggle: () => void}} props
 */
export function ThemeToggle({ theme, onToggle }) {
  const label = `Theme: ${theme}. Switch to ${NEXT[theme]}`;
  return html`<button type="button" class="icon-button theme-toggle" onClick=${onToggle} title=${label} aria-label=${label}
      data-theme-choice=${theme}>
    <${Icon} name=${ICONS[theme] ?? "monitor"} size=${18} />
  </button>`;
}
