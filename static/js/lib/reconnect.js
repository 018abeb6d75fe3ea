/**
 * What every socket of the app (watch, logs, terminal) shares about closing and coming back:
 * the server's close codes, and the one reconnect schedule — bounded exponential backoff with jitter.
 * A terminal never reconnects by itself (a new connection is a new shell); it uses the close codes.
 */

// Backoff bounds: quick first retry for a blip, never slower than 30 s so a restarted server is found.
export const BACKOFF_INITIAL_MS = 1000;
export const BACKOFF_MAX_MS = 30000;
// Each delay is spread by ±25 % so many tabs do not reconnect at the same moment after a server restart.
const JITTER = 0.25;

/** Close codes the server sends (kubevision/api/websocket.py `CloseCode`). */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  REVOKED: 4001,
});

/**
 * True when a failure to get a socket ticket means "not allowed" (signed out, expired, forbidden):
 * retrying cannot help, so the socket stops.
 * @param {any} error
 */
export function ticketRefused(error) {
  return Boolean(error?.isAuthError) || Math.floor(Number(error?.code) / 100) === 403;
}

/**
 * @typedef {object} Backoff
 * @property {number} attempt retries since the last success (0: connected, or first try)
 * @property {(task: () => void) => number} schedule run `task` after the next delay; returns that delay (ms, before jitter)
 * @property {() => void} reset the connection is up (or starts afresh): the next failure retries quickly again
 * @property {() => void} cancel drop a scheduled retry
 */

/**
 * A reconnect schedule: 1 s, 2 s, 4 s … up to 30 s, reset by a success.
 * @returns {Backoff}
 */
export function createBackoff() {
  let attempt = 0;
  let timer = 0;
  return {
    get attempt() {
      return attempt;
    },
    schedule(task) {
      clearTimeout(timer);
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** attempt);
      attempt += 1;
      timer = setTimeout(task, delay * (1 - JITTER + Math.random() * 2 * JITTER));
      return delay;
    },
    reset() {
      attempt = 0;
    },
    cancel() {
      clearTimeout(timer);
    },
  };
}
