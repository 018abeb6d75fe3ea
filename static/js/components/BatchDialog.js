/**
 * Confirm a batch action on selected objects, run it, then show what happened to each object.
 * Phases: confirm (the list of objects) → working → results (per-item success or error message).
 * The page supplies `run`, which performs the API calls and resolves with per-item results.
 */
import { html, cx, useEffect, useState } from "../lib/ui.js";
import { Modal } from "./Modal.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {{namespace?: string, name: string}} BatchItem
 * @typedef {{namespace?: string, name: string, code: number, message?: string}} BatchResult
 */

/**
 * @param {{open: boolean, title: string, verb: string, danger?: boolean, note?: any, items: BatchItem[],
 *          run: () => Promise<BatchResult[]>, onClose: (results: BatchResult[]|null) => void}} props
 *   `verb` labels the confirm button ("Delete" → "Delete 3"); `onClose` receives the results when
 *   the action ran, null when it was cancelled.
 */
export function BatchDialog({ open, title, verb, danger = false, note, items, run, onClose }) {
  const [phase, setPhase] = useState("confirm");
  const [results, setResults] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    if (open) {
      setPhase("confirm");
      setResults(null);
      setError(null);
    }
  }, [open]);

  const confirm = async () => {
    setPhase("working");
    setError(null);
    try {
      setResults(await run());
      setPhase("results");
    } catch (failure) {
      setError(failure);
      setPhase("confirm");
    }
  };

  const close = () => onClose(phase === "results" ? results : null);
  const failed = (results ?? []).filter((r) => r.code !== 0);
  const succeeded = (results ?? []).length - failed.length;

  const actions = phase === "results"
    ? html`<button type="button" class="button button-primary" onClick=${close} disabled=${false}>Done</button>`
    : html`<button type="button" class="button" onClick=${close} disabled=${phase === "working"}>Cancel</button>
      <button type="submit" class=${cx("button", danger ? "button-danger" : "button-primary")} disabled=${phase === "working"}>
        ${phase === "working" ? "Working…" : `${verb} ${items.length}`}
      </button>`;

  return html`<${Modal} open=${open} title=${phase === "results" ? `${title}: results` : `${title}?`} onClose=${close}
      busy=${phase === "working"} actions=${actions} onSubmit=${phase === "confirm" ? confirm : close} class="batch-dialog">
    ${phase === "results"
      ? html`<div class="batch-summary">
          ${succeeded > 0 && html`<span class="status status-ok"><span class="status-dot"></span>${succeeded} succeeded</span>`}
          ${failed.length > 0 && html`<span class="status status-error"><span class="status-dot"></span>${failed.length} failed</span>`}
        </div>
        <ul class="result-list" aria-label="Results">
          ${results.map((r) => html`<li key=${`${r.namespace ?? ""}/${r.name}`} class=${cx("result-item", r.code === 0 ? "is-ok" : "is-error")}>
            <${Icon} name=${r.code === 0 ? "check" : "alert"} size=${14} class="result-icon" />
            <span class="mono result-name">${r.namespace ? `${r.namespace}/` : ""}${r.name}</span>
            <span class="result-message">${r.code === 0 ? r.message && r.message !== "success" ? r.message : "Done" : `${r.message} (${r.code})`}</span>
          </li>`)}
        </ul>`
      : html`${note && html`<div class="dialog-message">${note}</div>`}
        <ul class="dialog-list object-list" aria-label="Selected objects">
          ${items.map((item) => html`<li key=${`${item.namespace ?? ""}/${item.name}`} class="mono">${item.namespace ? html`<span class="muted">${item.namespace}/</span>` : ""}${item.name}</li>`)}
        </ul>
        ${error && html`<div class="form-error" role="alert">${error.message}${error.requestId && html`<div class="form-error-id">Request ${error.requestId}</div>`}</div>`}`}
  </${Modal}>`;
}
