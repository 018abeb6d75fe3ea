/**
 * Log and terminal WebSockets (docs/websockets.md). Every socket needs a fresh single-use ticket.
 *
 * `openLogStream` reconnects with bounded exponential backoff (lib/reconnect.js) when a followed stream drops (not after
 * `end`, an `error` frame, or close code 4001 = session revoked). On a reconnect it asks only for the
 * seconds it missed (`sinceSeconds`) instead of the tail again.
 * `openExec` is one terminal session; reconnecting is the user's choice (a new shell).
 */
import { apiUrl } from "./client.js";
import { ticketedSocketUrl, wsTicket } from "./auth.js";
import { CloseCode, createBackoff, ticketRefused } from "../lib/reconnect.js";

const enc = encodeURIComponent;
/**
 * Path of a log stream: one pod, or a workload's pods merged.
 * @param {{clusterId: string|number, namespace: string, resource: string, name: string}} target
 */
export function logPath({ clusterId, namespace, resource, name }) {
  const base = `/clusters/${enc(clusterId)}/namespaces/${enc(namespace)}`;
  return resource === "pods" ? `${base}/pods/${enc(name)}/logs` : `${base}/${enc(resource)}/${enc(name)}/logs`;
}

/**
 * @typedef {{container?: string, tailLines?: number, follow?: boolean, timestamps?: boolean,
 *            previous?: boolean, sinceSeconds?: number}} LogQuery
 * @typedef {{onFrame: (frame: object) => void, onState?: (state: "connecting"|"open"|"reconnecting"|"ended"|"error", detail?: object) => void}} LogHandlers
 */

/**
 * Stream logs. Frames are passed through as parsed JSON (`log`, `end`, `error`, `pod-start`, …).
 * @param {{clusterId: string|number, namespace: string, resource: string, name: string}} target
 * @param {LogQuery} query
 * @param {LogHandlers} handlers
 * @returns {() => void} close (no reconnect afterwards)
 */
export function openLogStream(target, query, { onFrame, onState = () => {} }) {
  let ws = null;
  let closed = false;
  const backoff = createBackoff();
  let lastData = 0;
  let finished = false;
  let errored = false;

  const connect = async () => {
    if (closed) return;
    const reconnecting = backoff.attempt > 0;
    onState(reconnecting ? "reconnecting" : "connecting");
    /** @type {Record<string, unknown>} */
    const params = { ...query };
    if (reconnecting && lastData && query.follow !== false) {
      // Only what was missed; a second of overlap is better than a gap.
      delete params.tailLines;
      params.sinceSeconds = Math.max(1, Math.ceil((Date.now() - lastData) / 1000) + 1);
    }
    let url;
    try {
      url = await ticketedSocketUrl(logPath(target), params);
    } catch (error) {
      if (closed) return;
      if (ticketRefused(error)) {
        onState("error", { code: error.code, message: error.message });
        return;
      }
      scheduleRetry();
      return;
    }
    if (closed) return;
    const socket = new WebSocket(url);
    ws = socket;
    socket.addEventListener("open", () => {
      if (backoff.attempt > 0) onFrame({ type: "reconnected" });
      backoff.reset();
      onState("open");
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "log") lastData = Date.now();
      if (frame.type === "end") finished = true;
      if (frame.type === "error") {
        finished = true;
        errored = true;
        onState("error", frame);
      }
      onFrame(frame);
    });
    socket.addEventListener("close", (event) => {
      if (ws !== socket || closed) return;
      ws = null;
      if (finished) {
        if (!errored) onState("ended");
        return;
      }
      if (event.code === CloseCode.REVOKED) {
        onState("error", { code: 40101, message: "Your session ended; sign in again." });
        return;
      }
      if (query.follow === false && lastData) {
        onState("ended");
        return;
      }
      scheduleRetry();
    });
  };
  const scheduleRetry = () => {
    if (closed) return;
    const delay = backoff.schedule(connect);
    onState("reconnecting", { delayMs: delay });
  };

  connect();
  return () => {
    closed = true;
    backoff.cancel();
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(CloseCode.NORMAL, "done");
    ws = null;
  };
}

/**
 * Start a download of one pod's log (an HTTP attachment authorised by a ticket).
 * @param {{clusterId: string|number, namespace: string, name: string}} target
 * @param {{container?: string, previous?: boolean, timestamps?: boolean, tailLines?: number}} query
 */
export async function downloadPodLog(target, query) {
  const ticket = await wsTicket();
  const params = { ...query, ticket };
  for (const key of Object.keys(params)) if (typeof params[key] === "boolean") params[key] = String(params[key]);
  const href = apiUrl(`${logPath({ ...target, resource: "pods" })}/download`, params);
  const link = document.createElement("a");
  link.href = href;
  link.download = "";
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * @typedef {{onOutput: (text: string) => void, onControl: (frame: object) => void, onClose: (event: CloseEvent) => void,
 *            onOpen?: () => void}} ExecHandlers
 * @typedef {{send: (keys: string) => void, resize: (cols: number, rows: number) => void, close: () => void}} ExecSession
 */

/**
 * Open an interactive terminal. Keystrokes go as binary frames (always typed, never mistaken for a
 * control frame); resizes as JSON text frames. Output text frames starting with `{"` are control frames.
 * @param {{clusterId: string|number, namespace: string, pod: string, container?: string, command?: string[],
 *          cols: number, rows: number}} options
 * @param {ExecHandlers} handlers
 * @returns {Promise<ExecSession>}
 */
export async function openExec({ clusterId, namespace, pod, container, command = [], cols, rows }, handlers) {
  const path = `/clusters/${enc(clusterId)}/namespaces/${enc(namespace)}/pods/${enc(pod)}/exec`;
  const ws = new WebSocket(await ticketedSocketUrl(path, { cols, rows, container, command }));
  ws.binaryType = "arraybuffer";
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  ws.addEventListener("open", () => handlers.onOpen?.());
  ws.addEventListener("message", (event) => {
    const text = typeof event.data === "string" ? event.data : decoder.decode(event.data, { stream: true });
    if (typeof event.data === "string" && text.startsWith("{\"")) {
      try {
        handlers.onControl(JSON.parse(text));
        return;
      } catch {
        // not a control frame after all: show it
      }
    }
    handlers.onOutput(text);
  });
  ws.addEventListener("close", (event) => handlers.onClose(event));
  const open = () => ws.readyState === WebSocket.OPEN;
  return {
    send: (keys) => open() && ws.send(encoder.encode(keys)),
    resize: (c, r) => open() && ws.send(JSON.stringify({ type: "resize", cols: c, rows: r })),
    close: () => ws.readyState <= WebSocket.OPEN && ws.close(CloseCode.NORMAL, "closed by user"),
  };
}
