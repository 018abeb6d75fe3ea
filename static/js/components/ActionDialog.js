/**
 * Confirm one action on one object: what will happen, the kubectl equivalent (copyable), inputs
 * supplied by the caller, and the server's error when it refuses. `onConfirm` may be async; the
 * dialog stays open (busy) until it settles and closes itself on success.
 */
import { html, cx, useEffect, useState } from "../lib/ui.js";
import { Modal } from "./Modal.js";
import { KubectlCommands } from "./KubectlCommands.js";

/**
 * @param {{open: boolean, title: string, description?: any, kubectl?: string|string[], confirmLabel: string,
 *          danger?: boolean, disabled?: boolean, wide?: boolean, onConfirm: () => Promise<any>|any,
 *          onClose: (done: boolean) => void, children?: any}} props
 *   `onClose(true)` after a successful confirm, `onClose(false)` when cancelled.
 */
export function ActionDialog({ open, title, description, kubectl, confirmLabel, danger = false, disabled = false, wide = false,
  onConfirm, onClose, children }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (open) {
      setBusy(false);
      setError(null);
    }
  }, [open]);
  const submit = async () => {
    if (busy || disabled) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setBusy(false);
      onClose(true);
    } catch (failure) {
      setBusy(false);
      setError(failure);
    }
  };
  const commands = (Array.isArray(kubectl) ? kubectl : kubectl ? [kubectl] : [])
    .map((command, i) => ({ label: i === 0 ? "kubectl" : `kubectl (${i + 1})`, command }));
  return html`<${Modal} open=${open} title=${title} wide=${wide} busy=${busy} onClose=${() => onClose(false)} onSubmit=${submit}
      class="action-dialog"
      actions=${html`<button type="button" class="button" onClick=${() => onClose(false)} disabled=${busy}>Cancel</button>
        <button type="submit" class=${cx("button", danger ? "button-danger" : "button-primary")} disabled=${busy || disabled}>
          ${busy ? "Working…" : confirmLabel}</button>`}>
    ${description && html`<div class="dialog-message">${description}</div>`}
    ${children}
    ${commands.length > 0 && html`<div class="action-kubectl"><div class="field-label">Equivalent command</div>
      <${KubectlCommands} commands=${commands} /></div>`}
    ${error && html`<div class="form-error" role="alert">${error.message}${error.code ? ` (${error.code})` : ""}
      ${error.requestId && html`<div class="form-error-id">Request ${error.requestId}</div>`}</div>`}
  </${Modal}>`;
}
