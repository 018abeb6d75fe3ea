/** A confirmation question: a `Modal` whose form submits to `onConfirm`, with Cancel beside it. */
import { html } from "../lib/ui.js";
import { Modal } from "./Modal.js";

/**
 * @param {{open: boolean, title: string, message?: any, confirmLabel?: string, danger?: boolean,
 *          busy?: boolean, onConfirm: () => void, onCancel: () => void, children?: any}} props
 */
export function ConfirmDialog({ open, title, message, confirmLabel = "Confirm", danger = false, busy = false,
  onConfirm, onCancel, children }) {
  const actions = html`
    <button type="button" class="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
    <button type="submit" class=${danger ? "button button-danger" : "button button-primary"} disabled=${busy} autofocus>
      ${busy ? "Working…" : confirmLabel}
    </button>`;
  return html`<${Modal} open=${open} title=${title} onClose=${onCancel} busy=${busy} onSubmit=${onConfirm}
      actions=${actions}>
    ${message && html`<div class="dialog-message">${message}</div>`}
    ${children}
  </${Modal}>`;
}
