/**
 * A modal built on <dialog> (focus trap, Escape and backdrop handled by the browser) with a title,
 * a body and an actions row. The parent owns `open`; Escape and backdrop clicks call `onClose`
 * unless `busy`.
 */
import { html, cx, useEffect, useId, useRef } from "../lib/ui.js";

/**
 * @param {{open: boolean, title: any, onClose: () => void, busy?: boolean, wide?: boolean,
 *          actions?: any, children?: any, class?: string, onSubmit?: () => void}} props
 *   `onSubmit` makes the card a form (Enter submits).
 */
export function Modal({ open, title, onClose, busy = false, wide = false, actions, children, class: className, onSubmit }) {
  const ref = useRef(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  const onBackdrop = (event) => {
    if (event.target === ref.current && !busy) onClose();
  };
  const onCancel = (event) => {
    event.preventDefault();
    if (!busy) onClose();
  };
  const body = html`<h2 id=${titleId} class="dialog-title">${title}</h2>
    <div class="dialog-body">${children}</div>
    ${actions && html`<div class="dialog-actions">${actions}</div>`}`;
  return html`<dialog ref=${ref} class=${cx("dialog", wide && "dialog-wide", className)} onCancel=${onCancel}
      onClick=${onBackdrop} aria-labelledby=${titleId}>
    ${onSubmit
      ? html`<form method="dialog" class="dialog-card" onSubmit=${(e) => { e.preventDefault(); onSubmit(); }}>${body}</form>`
      : html`<div class="dialog-card">${body}</div>`}
  </dialog>`;
}
