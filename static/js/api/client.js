/**
 * The fetch wrapper every page uses to call `/api/v1`.
 *
 * - Unwraps the envelope `{code, message, data, meta}` (always HTTP 200) and throws `ApiError`
 *   for any non-zero code, carrying the request id so the UI can show it.
 * - The refresh token lives in an HttpOnly cookie the server sets, so this module can renew the
 *   access token but never read it. The short-lived access token (with its expiry and the user) is
 *   shared by every tab of this origin through localStorage: a new tab adopts it instead of calling
 *   `/auth/refresh`. One tab, elected by holding a Web Lock for its lifetime, renews it near expiry and
 *   the others pick the new one up from the `storage` event (when that tab closes, another is elected);
 *   a sign-out in one tab removes it, which signs out the others. Electing one renewer, rather than
 *   letting every tab's timer race for a lock, matters because localStorage reaches other tabs
 *   asynchronously: a tab that got the lock just after another renewed could still read the old token.
 * - On 40101 (access token expired) it refreshes once, shared by concurrent callers, and retries;
 *   when the session cannot be renewed the registered sign-out handler runs. A refresh refused for a
 *   rate limit (42900) or a network failure is not a sign-out: the token is kept and the error thrown.
 */

export const API_BASE = "/api/v1";

// Renew the access token this long before it expires, so requests and WS tickets rarely see 40101.
const REFRESH_MARGIN_S = 60;
// The access token shared between tabs: {accessToken, expiresAt (epoch ms), user}.
const SHARED_SESSION_KEY = "kubevision.session";
// Only one tab renews the shared token at a time (the others wait, then adopt what it stored).
const REFRESH_LOCK = "kubevision.refresh";
// Held for its lifetime by the one tab whose timer renews the shared token before it expires.
const RENEWER_LOCK = "kubevision.renewer";
// A timed renewal that failed without ending the session (rate limit, network) is retried after this
// long, or after the server's Retry-After when it is longer.
const RENEWAL_RETRY_S = 10;

/** Business codes the UI reacts to (see SPEC §1). */
export const Codes = Object.freeze({
  OK: 0,
  PARAM_MISSING: 40001,
  PARAM_INVALID: 40002,
  NOT_LOGGED_IN: 40100,
  TOKEN_EXPIRED: 40101,
  TWO_FACTOR_REQUIRED: 40102,
  TWO_FACTOR_FAILED: 40103,
  FORBIDDEN: 40300,
  NOT_FOUND: 40400,
  RATE_LIMITED: 42900,
  NETWORK: -1,
});

/** An API failure: business `code`, server `message`, `requestId` for support, optional `data`. */
export class ApiError extends Error {
  /**
   * @param {number} code
   * @param {string} message
   * @param {{requestId?: string, data?: unknown, status?: number, retryAfterS?: number}} [details]
   */
  constructor(code, message, { requestId = "", data = null, status = 200, retryAfterS = 0 } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.requestId = requestId;
    this.data = data;
    this.status = status;
    this.retryAfterS = retryAfterS;
  }

  /** True for codes that mean "your session is gone". */
  get isAuthError() {
    return this.code === Codes.NOT_LOGGED_IN || this.code === Codes.TOKEN_EXPIRED;
  }
}

let accessToken = null;
let accessTokenExpiresAt = 0;
let isRenewer = false;
let refreshTimer = 0;
let refreshInFlight = null;
/** @type {(session: object) => void} */
let onSessionRenewed = () => {};
/** @type {(reason: string) => void} */
let onSignedOut = () => {};

/**
 * Register session callbacks (set once by state/session.js).
 * @param {{renewed?: (session: object) => void, signedOut?: (reason: string) => void}} handlers
 */
export function setSessionHandlers({ renewed, signedOut }) {
  if (renewed) onSessionRenewed = renewed;
  if (signedOut) onSignedOut = signedOut;
}

/**
 * Adopt a session answer (login, 2FA verify, bootstrap, refresh): hold the access token, share it
 * with the other tabs and schedule its renewal. Pass null to forget it here and in every tab.
 * @param {{accessToken: string, expiresIn?: number, user?: object} | null} session
 */
export function setAccessToken(session) {
  if (!session?.accessToken) {
    holdToken(null);
    removeShared();
    return;
  }
  const shared = {
    accessToken: session.accessToken,
    expiresAt: Date.now() + (session.expiresIn ?? 0) * 1000,
    user: session.user ?? readShared()?.user ?? null,
  };
  holdToken(shared);
  writeShared(shared);
}

/** Hold a shared token in this tab (or none); the renewer tab schedules its renewal. */
function holdToken(shared) {
  clearTimeout(refreshTimer);
  accessToken = shared?.accessToken ?? null;
  accessTokenExpiresAt = shared?.expiresAt ?? 0;
  scheduleTimedRenewal();
}

/** In the renewer tab, renew the held token REFRESH_MARGIN_S before it expires. */
function scheduleTimedRenewal() {
  if (accessToken && isRenewer) scheduleRenewal((accessTokenExpiresAt - Date.now()) / 1000 - REFRESH_MARGIN_S);
}

// This tab becomes the renewer once no other tab holds the lock (at once for the first tab); the lock
// is released when the tab closes. Without Web Locks every tab renews for itself.
if (navigator.locks) {
  navigator.locks.request(RENEWER_LOCK, () => {
    isRenewer = true;
    scheduleTimedRenewal();
    return new Promise(() => {});
  });
} else {
  isRenewer = true;
}

function scheduleRenewal(delayS) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshSession().catch((error) => {
      // A session that is over already went to the sign-out handler; anything else keeps the token.
      if (!sessionIsOver(error)) {
        scheduleRenewal(Math.max(RENEWAL_RETRY_S, error?.retryAfterS ?? 0));
      }
    });
  }, Math.max(0, delayS) * 1000);
}

function readShared() {
  try {
    const shared = JSON.parse(localStorage.getItem(SHARED_SESSION_KEY) ?? "null");
    return typeof shared?.accessToken === "string" && typeof shared.expiresAt === "number" ? shared : null;
  } catch {
    return null;
  }
}

function writeShared(shared) {
  try {
    localStorage.setItem(SHARED_SESSION_KEY, JSON.stringify(shared));
  } catch {
    // Storage disabled or full: this tab still works on its own token.
  }
}

function removeShared() {
  try {
    localStorage.removeItem(SHARED_SESSION_KEY);
  } catch {
    // Storage disabled: nothing was shared.
  }
}

/** A shared token that is not about to expire, or null. */
function freshShared() {
  const shared = readShared();
  return shared && shared.expiresAt - Date.now() > REFRESH_MARGIN_S * 1000 ? shared : null;
}

/** The session data of a shared token, in the shape of a session answer. */
function asSession(shared) {
  return { accessToken: shared.accessToken, expiresIn: (shared.expiresAt - Date.now()) / 1000, user: shared.user };
}

/**
 * Adopt the token another tab shares when it is not about to expire (no request is made).
 * @returns {{accessToken: string, expiresIn: number, user: object|null} | null} its session data, or null
 */
export function adoptSharedSession() {
  const shared = freshShared();
  if (!shared) return null;
  holdToken(shared);
  return asSession(shared);
}

// Another tab renewed, signed in or signed out.
window.addEventListener("storage", (event) => {
  if (event.key !== SHARED_SESSION_KEY && event.key !== null) return;
  const shared = readShared();
  if (shared) {
    if (shared.accessToken === accessToken) return;
    holdToken(shared);
    onSessionRenewed(asSession(shared));
  } else if (accessToken) {
    holdToken(null);
    onSignedOut("signed-out");
  }
});

/** True when an access token is held. */
export function hasAccessToken() {
  return accessToken !== null;
}

/**
 * True when a failed refresh means the session is gone (no cookie, revoked, expired, user disabled),
 * false for a rate limit, a network failure or a server error, after which it may still be renewed.
 * @param {unknown} error
 */
export function sessionIsOver(error) {
  return error instanceof ApiError && error.code !== Codes.RATE_LIMITED && error.code !== Codes.NETWORK
    && error.status < 500;
}

/** Run `task` while holding the cross-tab refresh lock (or directly where Web Locks are missing). */
function withRefreshLock(task) {
  return navigator.locks ? navigator.locks.request(REFRESH_LOCK, task) : task();
}

/**
 * A new access token: the one another tab just stored when it is newer than ours and fresh, else
 * the refresh cookie exchanged for one. Concurrent callers share one request.
 * Resolves with the session data. When the session cannot be renewed (see `sessionIsOver`) the token
 * is forgotten in every tab and, with `signOutOnFailure`, the sign-out handler runs; other failures
 * (42900 rate limit with `retryAfterS`, network, server errors) keep the token and only reject.
 * @param {{signOutOnFailure?: boolean}} [options]
 * @returns {Promise<object>}
 */
export function refreshSession({ signOutOnFailure = true } = {}) {
  if (!refreshInFlight) {
    const stale = accessToken;
    refreshInFlight = withRefreshLock(async () => {
      const shared = freshShared();
      if (shared && shared.accessToken !== stale) {
        holdToken(shared);
        return asSession(shared);
      }
      const session = await send("POST", "/auth/refresh", { body: {}, auth: false });
      setAccessToken(session);
      return session;
    })
      .then((session) => {
        onSessionRenewed(session);
        return session;
      })
      .catch((error) => {
        if (sessionIsOver(error)) {
          setAccessToken(null);
          if (signOutOnFailure) onSignedOut("expired");
        }
        throw error;
      })
      .finally(() => {
        refreshInFlight = null;
      });
  }
  return refreshInFlight;
}

/**
 * Call the API and return `data` (or `{data, meta}` with `withMeta: true`).
 * @param {string} method HTTP method
 * @param {string} path path under /api/v1, e.g. "/clusters"
 * @param {{body?: unknown, query?: Record<string, unknown>, auth?: boolean, signal?: AbortSignal,
 *          withMeta?: boolean}} [options]
 * @returns {Promise<any>}
 */
export async function request(method, path, options = {}) {
  const { auth = true } = options;
  try {
    return await send(method, path, options);
  } catch (error) {
    if (!(error instanceof ApiError) || !auth) throw error;
    if (error.code === Codes.NOT_LOGGED_IN && hasAccessToken()) {
      // A token we hold was refused outright (bad signature, user gone): the session is over.
      setAccessToken(null);
      onSignedOut("invalid");
    }
    if (error.code !== Codes.TOKEN_EXPIRED) throw error;
    await refreshSession(); // throws (and signs out) when the session cannot be renewed
    return send(method, path, options);
  }
}

/** GET helper; see `request`. */
export const get = (path, options) => request("GET", path, options);
/** POST helper; the body defaults to `{}` so the server always sees JSON. */
export const post = (path, body = {}, options) => request("POST", path, { ...options, body });
/** PUT helper. */
export const put = (path, body = {}, options) => request("PUT", path, { ...options, body });
/** DELETE helper. */
export const del = (path, options) => request("DELETE", path, options);

/**
 * Build "/api/v1/path?query" skipping empty query values.
 * @param {string} path
 * @param {Record<string, unknown>} [query]
 */
export function apiUrl(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return `${API_BASE}${path}${search ? `?${search}` : ""}`;
}

/**
 * One request, without the token renewal of `request`.
 * @param {string} method
 * @param {string} path
 * @param {{body?: unknown, query?: Record<string, unknown>, auth?: boolean, signal?: AbortSignal,
 *          withMeta?: boolean}} [options]
 */
async function send(method, path, { body, query, auth = true, signal, withMeta = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(Codes.NETWORK, "Cannot reach the KubeVision server", { status: 0 });
  }
  const envelope = await response.json().catch(() => null);
  const requestId = envelope?.meta?.requestId ?? response.headers.get("X-Request-ID") ?? "";
  if (!envelope || typeof envelope.code !== "number") {
    throw new ApiError(Codes.NETWORK, `Unexpected answer from the server (HTTP ${response.status})`, {
      requestId,
      status: response.status,
    });
  }
  if (envelope.code !== Codes.OK) {
    throw new ApiError(envelope.code, envelope.message || "request failed", {
      requestId,
      data: envelope.data,
      status: response.status,
      retryAfterS: Number(response.headers.get("Retry-After")) || 0,
    });
  }
  return withMeta ? { data: envelope.data, meta: envelope.meta ?? {} } : envelope.data;
}

/** Test seam for the session module: forget everything (used on sign-out). */
export function clearSession() {
  setAccessToken(null);
}

/**
 * Fetch a non-envelope answer (e.g. an asciinema recording) as text, with the same auth and
 * one refresh-and-retry on 40101 as `request`. Failures that come back as an envelope throw ApiError.
 * @param {string} path path under /api/v1
 * @param {{query?: Record<string, unknown>, signal?: AbortSignal}} [options]
 * @returns {Promise<string>}
 */
export async function requestText(path, { query, signal } = {}) {
  const once = async () => {
    const headers = accessToken ? { Authorization: `Bearer ${accessToken}` } : {};
    let response;
    try {
      response = await fetch(apiUrl(path, query), { headers, credentials: "same-origin", signal });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(Codes.NETWORK, "Cannot reach the KubeVision server", { status: 0 });
    }
    const type = response.headers.get("Content-Type") ?? "";
    const text = await response.text();
    if (type.includes("application/json")) {
      let envelope;
      try {
        envelope = JSON.parse(text);
      } catch {
        envelope = null;
      }
      if (envelope && typeof envelope.code === "number" && envelope.code !== Codes.OK) {
        throw new ApiError(envelope.code, envelope.message || "request failed", {
          requestId: envelope.meta?.requestId ?? "", data: envelope.data, status: response.status,
        });
      }
    }
    if (!response.ok) throw new ApiError(Codes.NETWORK, `HTTP ${response.status}`, { status: response.status });
    return text;
  };
  try {
    return await once();
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== Codes.TOKEN_EXPIRED) throw error;
    await refreshSession();
    return once();
  }
}
