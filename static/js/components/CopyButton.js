/** A small button that copies text to the clipboard and confirms with a check mark. */
import { html, cx, useState } from "../lib/ui.js";
import { Icon } from "./Icon.js";

/**
 * @param {{text: string, label?: string, class?: string}} props `label` is the accessible name
 */
export function CopyButton({ text, label = "Copy", class: className }) {
  const [copied, setCopied] = useState(false);
  const copy = async (event) => {
    event.stopPropagation();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      fallbackCopy(text);
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return html`<button type="button" class=${cx("icon-button icon-button-sm copy-button", copied && "is-copied", className)}
      onClick=${copy} title=${copied ? "Copied" : label} aria-label=${label}>
    <${Icon} name=${copied ? "check" : "copy"} size=${14} />
  </button>`;
}

/** Clipboard API blocked (plain http on a LAN address): copy through a temporary selection. */
function fallbackCopy(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  try {
    document.execCommand("copy");
  } catch {
    // Nothing more to try; the text is visible for manual copying.
  }
  area.remove();
}
