/** A modal confirmation built on <dialog> (focus trap, Escape and backdrop handled by the browser). */
import { html, useEffect, useRef } from "../lib/ui.js";

/**
 * @param {{open: boolean, title: string, message?: any, confirmLabel?: string, danger?: boolean,
 *          busy?: boolean, onConfirm: () => void, onCancel: () => void, children?: any}} props
 */
export function ConfirmDialog({ open, title, message, confirmLabel = "Confirm", danger = false, busy = false,
  onConfirm, onCancel, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  const onClick = (event) => {
    if (event.target === ref.current && !busy) onCancel(); // backdrop click
  };
  const onDialogCancel = (event) => {
    event.preventDefault(); // keep the open state owned by the parent
    if (!busy) onCancel();
  };
  return html`<dialog ref=${ref} class="dialog" onCancel=${onDialogCancel} onClick=${onClick} aria-labelledby="confirm-title">
    <form method="dialog" class="dialog-card" onSubmit=${(e) => { e.preventDefault(); onConfirm(); }}>
      <h2 id="confirm-title" class="dialog-title">${title}</h2>
      ${message && html`<div class="dialog-message">${message}</div>`}
      ${children}
      <div class="dialog-actions">
        <button type="button" class="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
        <button type="submit" class=${danger ? "button button-danger" : "button button-primary"} disabled=${busy} autofocus>
          ${busy ? "Working…" : confirmLabel}
        </button>
      </div>
    </form>
  </dialog>`;
}
