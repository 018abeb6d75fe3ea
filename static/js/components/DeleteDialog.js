/**
 * Delete one object: confirmation with the propagation policy (what happens to dependants) and an
 * optional force delete (grace period 0). The page performs the deletion in `onConfirm`.
 */
import { html, cx, useEffect, useState } from "../lib/ui.js";
import { Modal } from "./Modal.js";

const POLICIES = [
  ["Background", "Delete now; the garbage collector removes dependants afterwards."],
  ["Foreground", "Dependants are deleted first; the object stays (terminating) until they are gone."],
  ["Orphan", "Keep dependants (e.g. the pods of a ReplicaSet) running without an owner."],
];

/**
 * @param {{open: boolean, kind: string, name: string, namespace?: string, busy?: boolean, error?: any,
 *          onConfirm: (options: {propagationPolicy: string, gracePeriodSeconds?: number}) => void,
 *          onClose: () => void}} props
 */
export function DeleteDialog({ open, kind, name, namespace, busy = false, error = null, onConfirm, onClose }) {
  const [policy, setPolicy] = useState("Background");
  const [force, setForce] = useState(false);
  useEffect(() => {
    if (open) {
      setPolicy("Background");
      setForce(false);
    }
  }, [open]);
  const submit = () => onConfirm({ propagationPolicy: policy, ...(force ? { gracePeriodSeconds: 0 } : {}) });
  const actions = html`<button type="button" class="button" onClick=${onClose} disabled=${busy}>Cancel</button>
    <button type="submit" class="button button-danger" disabled=${busy}>${busy ? "Deleting…" : `Delete ${kind}`}</button>`;
  return html`<${Modal} open=${open} title=${`Delete ${kind} ${name}?`} onClose=${onClose} busy=${busy} actions=${actions}
      onSubmit=${submit} class="delete-dialog">
    <p class="dialog-message">This removes <strong class="mono">${namespace ? `${namespace}/` : ""}${name}</strong> from the cluster. It cannot be undone.</p>
    <fieldset class="choice-group">
      <legend>Dependent objects</legend>
      ${POLICIES.map(([value, help]) => html`<label key=${value} class=${cx("choice", policy === value && "is-checked")}>
        <input type="radio" name="propagation" value=${value} checked=${policy === value} onChange=${() => setPolicy(value)} />
        <span class="choice-text"><span class="choice-label">${value}${value === "Background" ? html` <span class="muted">(default)</span>` : ""}</span>
          <span class="choice-help">${help}</span></span>
      </label>`)}
    </fieldset>
    <label class="choice choice-force">
      <input type="checkbox" checked=${force} onChange=${(e) => setForce(e.currentTarget.checked)} />
      <span class="choice-text"><span class="choice-label">Force (grace period 0)</span>
        <span class="choice-help">Skip graceful termination. Pods are removed from the API at once, even if their containers still run.</span></span>
    </label>
    ${error && html`<div class="form-error" role="alert">${error.message}${error.code ? ` (${error.code})` : ""}</div>`}
  </${Modal}>`;
}
