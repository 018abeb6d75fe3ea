/** Toast stack (bottom-right): message, optional request id with a copy button, dismiss. */
import { html, useState } from "../lib/ui.js";
import { Icon } from "./Icon.js";

const ICONS = { error: "alert", success: "check", info: "info" };

/**
 * @param {{toasts: Array<{id: number, kind: string, title?: string, message: string, requestId?: string, code?: number}>,
 *          onDismiss: (id: number) => void}} props
 */
export function ToastStack({ toasts, onDismiss }) {
  return html`<div class="toast-stack" aria-live="polite" aria-relevant="additions">
    ${toasts.map((toast) => html`<${Toast} key=${toast.id} toast=${toast} onDismiss=${() => onDismiss(toast.id)} />`)}
  </div>`;
}

function Toast({ toast, onDismiss }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(toast.requestId);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard blocked (e.g. not a secure context): the id is selectable text anyway.
    }
  };
  return html`<div class=${`toast toast-${toast.kind}`} role=${toast.kind === "error" ? "alert" : "status"}>
    <span class="toast-icon"><${Icon} name=${ICONS[toast.kind] ?? "info"} size=${18} /></span>
    <div class="toast-body">
      ${toast.title && html`<div class="toast-title">${toast.title}</div>`}
      <div class="toast-message">${toast.message}${toast.code > 0 ? html` <span class="toast-code">(${toast.code})</span>` : ""}</div>
      ${toast.requestId && html`<div class="toast-request">
        <span class="toast-request-label">Request ID</span>
        <code class="toast-request-id">${toast.requestId}</code>
        <button type="button" class="icon-button icon-button-sm" onClick=${copy}
          title="Copy request ID" aria-label="Copy request ID">
          <${Icon} name=${copied ? "check" : "copy"} size=${14} />
        </button>
      </div>`}
    </div>
    <button type="button" class="icon-button icon-button-sm toast-close" onClick=${onDismiss} aria-label="Dismiss">
      <${Icon} name="x" size=${14} />
    </button>
  </div>`;
}
