/** Validation causes from the API server (field, message, reason), each with its line when known. */
import { html } from "../lib/ui.js";
import { Icon } from "./Icon.js";

/**
 * @param {{causes: Array<{field?: string, message?: string, reason?: string, line?: number|null}>,
 *          onReveal?: (line: number) => void}} props `onReveal` jumps to the line in the editor
 */
export function CausesList({ causes, onReveal }) {
  if (!causes?.length) return null;
  return html`<ul class="causes" aria-label="Validation errors">
    ${causes.map((cause, i) => html`<li key=${i} class="cause">
      <${Icon} name="alert" size=${14} class="cause-icon" />
      <div class="cause-body">
        <div class="cause-head">
          ${cause.field && html`<code class="cause-field">${cause.field}</code>`}
          ${cause.line
            ? onReveal
              ? html`<button type="button" class="cause-line" onClick=${() => onReveal(cause.line)}>line ${cause.line}</button>`
              : html`<span class="cause-line">line ${cause.line}</span>`
            : null}
          ${cause.reason && html`<span class="cause-reason">${cause.reason}</span>`}
        </div>
        <div class="cause-message">${cause.message}</div>
      </div>
    </li>`)}
  </ul>`;
}
