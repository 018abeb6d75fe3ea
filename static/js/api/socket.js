/**
 * One multiplexed WebSocket per tab to `/api/v1/ws/watch` (SPEC §6).
 *
 * Callers `subscribe({cluster, resource, namespace, view}, handlers)`; this module assigns the
 * subscription id, (re)connects lazily with a fresh single-use ticket each time, re-sends every
 * live subscription after a reconnect (followed by a synthetic resync so lists re-fetch what they
 * missed), and routes `event` / `resync` / `error` frames to the right subscriber.
 * Reconnects back off exponentially (bounded, with jitter: lib/reconnect.js) and stop for good when the server says
 * the session is not allowed (401/403 ticket answers or 4401/4403 close codes).
 */
import { ticketedSocketUrl } from "./auth.js";
import { createStore } from "../lib/store.js";
import { CloseCode, createBackoff, ticketRefused } from "../lib/reconnect.js";

const WATCH_PATH = "/ws/watch";
// Close the socket this long after the last unsubscribe, so page changes reuse the connection.
const IDLE_CLOSE_MS = 5000;
// Close codes that mean "not allowed any more": 1008 policy violation, 4001 session revoked,
// 4401/4403 unauthorized/forbidden.
const FATAL_CLOSE_CODES = new Set([CloseCode.POLICY_VIOLATION, CloseCode.REVOKED, 4401, 4403]);

/** @typedef {{cluster?: number|string, resource: string, namespace?: string, labelSelector?: string, name?: string,
 *             view?: "table"|"object"}} WatchTarget `name`: only that one object (detail pages); no `cluster`
 *             only with `resource: "port-forwards"` (the user's port-forwards, docs/websockets.md) */
/**
 * @typedef {object} WatchHandlers
 * @property {(events: Array<{type: string, name: string, namespace?: string, row?: object, object?: object}>) => void} onEvents
 * @property {() => void} [onResync] the list must be re-fetched (events were dropped or the socket reconnected)
 * @property {(error: {code: number, message: string}) => void} [onError]
 */

/** Connection state, for a "live" indicator: idle | connecting | open | reconnecting | stopped. */
export const socketStatus = createStore("idle");

class WatchSocket {
  constructor() {
    this.ws = null;
    this.subs = new Map(); // id -> {target, handlers}
    this.nextId = 1;
    this.backoff = createBackoff();
    this.idleTimer = 0;
    this.stopped = false;
    this.connecting = false;
  }

  /**
   * Start watching; returns the function that stops this subscription.
   * @param {WatchTarget} target
   * @param {WatchHandlers} handlers
   * @returns {() => void}
   */
  subscribe(target, handlers) {
    const id = `s${this.nextId++}`;
    this.subs.set(id, { target, handlers });
    clearTimeout(this.idleTimer);
    if (this.isOpen()) this.sendSubscribe(id);
    else this.connect();
    return () => this.unsubscribe(id);
  }

  unsubscribe(id) {
    if (!this.subs.delete(id)) return;
    if (this.isOpen()) this.send({ op: "unsubscribe", id });
    if (this.subs.size === 0) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS);
    }
  }

  /** Allow connecting again after a sign-in (a stop is sticky until then). */
  reset() {
    this.stopped = false;
    this.backoff.reset();
    if (socketStatus.get() === "stopped") socketStatus.set("idle");
  }

  /** Drop the connection and every subscription (sign-out). */
  shutdown() {
    this.subs.clear();
    this.close();
    this.stopped = true;
    socketStatus.set("stopped");
  }

  isOpen() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  async connect() {
    if (this.stopped || this.connecting || this.ws || this.subs.size === 0) return;
    this.connecting = true;
    this.backoff.cancel();
    socketStatus.set(this.backoff.attempt === 0 ? "connecting" : "reconnecting");
    let url;
    try {
      url = await ticketedSocketUrl(WATCH_PATH);
    } catch (error) {
      this.connecting = false;
      if (ticketRefused(error)) this.stop();
      else this.scheduleRetry();
      return;
    }
    this.connecting = false;
    if (this.stopped || this.subs.size === 0) return;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      const reconnected = this.backoff.attempt > 0;
      this.backoff.reset();
      socketStatus.set("open");
      for (const id of this.subs.keys()) this.sendSubscribe(id);
      // Anything that changed while we were away was missed: let lists re-fetch.
      if (reconnected) for (const { handlers } of this.subs.values()) handlers.onResync?.();
    });
    ws.addEventListener("message", (event) => this.dispatch(event.data));
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (FATAL_CLOSE_CODES.has(event.code)) this.stop();
      else if (this.subs.size > 0) this.scheduleRetry();
      else socketStatus.set("idle");
    });
  }

  close() {
    this.backoff.cancel();
    clearTimeout(this.idleTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(CloseCode.NORMAL, "done");
    if (!this.stopped) socketStatus.set("idle");
  }

  stop() {
    this.stopped = true;
    this.close();
    socketStatus.set("stopped");
    for (const { handlers } of this.subs.values()) {
      handlers.onError?.({ code: 40100, message: "live updates stopped: not allowed" });
    }
  }

  scheduleRetry() {
    if (this.stopped) return;
    socketStatus.set("reconnecting");
    this.backoff.schedule(() => this.connect());
  }

  sendSubscribe(id) {
    const { target } = this.subs.get(id);
    this.send({
      op: "subscribe",
      id,
      cluster: Number.isNaN(Number(target.cluster)) ? target.cluster : Number(target.cluster),
      resource: target.resource,
      namespace: target.namespace ?? "",
      ...(target.labelSelector ? { labelSelector: target.labelSelector } : {}),
      ...(target.name ? { name: target.name } : {}),
      view: target.view ?? "table",
    });
  }

  send(message) {
    this.ws.send(JSON.stringify(message));
  }

  dispatch(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return; // not ours to interpret (e.g. a text ping)
    }
    const sub = message.sub ? this.subs.get(message.sub) : null;
    switch (message.type) {
      case "event":
        sub?.handlers.onEvents(message.events ?? []);
        break;
      case "resync":
        sub?.handlers.onResync?.();
        break;
      case "error":
        if (sub) sub.handlers.onError?.(message);
        else for (const { handlers } of this.subs.values()) handlers.onError?.(message);
        break;
      default:
        break; // pings and future message types
    }
  }
}

const socket = new WatchSocket();

/**
 * Watch a resource list over the shared socket.
 * @param {WatchTarget} target
 * @param {WatchHandlers} handlers
 * @returns {() => void} unsubscribe
 */
export function watch(target, handlers) {
  return socket.subscribe(target, handlers);
}

/** Close the socket and forget every subscription (on sign-out). */
export function shutdownSocket() {
  socket.shutdown();
}

/** Re-allow connections after sign-in. */
export function resetSocket() {
  socket.reset();
}
