/** Transient notifications. Errors carry the server's request id so users can report it. */
import { createStore } from "../lib/store.js";

// Success and info toasts go away on their own; errors stay until dismissed (they may be copied).
const AUTO_DISMISS_MS = 5000;
const MAX_TOASTS = 4;

export const toasts = createStore([]);
let nextId = 1;

/**
 * Show a toast.
 * @param {{kind?: "error"|"success"|"info", title?: string, message: string, requestId?: string, code?: number}} toast
 * @returns {number} toast id
 */
export function pushToast({ kind = "info", title = "", message, requestId = "", code }) {
  const id = nextId++;
  toasts.set((list) => {
    // The same failure repeated (e.g. a retry loop) shows once.
    const rest = list.filter((t) => !(t.kind === kind && t.title === title && t.message === message));
    return [...rest, { id, kind, title, message, requestId, code }].slice(-MAX_TOASTS);
  });
  if (kind !== "error") setTimeout(() => dismissToast(id), AUTO_DISMISS_MS);
  return id;
}

/** Remove a toast. */
export function dismissToast(id) {
  toasts.set((list) => list.filter((t) => t.id !== id));
}

/**
 * Error toast from any thrown value (ApiError keeps its code and request id).
 * @param {string} title what failed, e.g. "Could not load clusters"
 * @param {any} error usually an Error or ApiError, but anything thrown
 */
export function notifyError(title, error) {
  if (error?.name === "AbortError") return;
  pushToast({
    kind: "error",
    title,
    message: error?.message || String(error),
    requestId: error?.requestId || "",
    code: error?.code,
  });
}
