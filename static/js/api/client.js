/**
 * The fetch wrapper every page uses to call `/api/v1`.
 *
 * - Unwraps the envelope `{code, message, data, meta}` (always HTTP 200) and throws `ApiError`
 *   for any non-zero code, carrying the request id so the UI can show it.
 * - Holds the access token in memory only (never localStorage); the refresh token lives in an
 *   HttpOnly cookie the server sets, so this module can renew the access token but never read it.
 * - On 40101 (access token expired) it refreshes once, shared by concurrent callers, and retries;
 *   when the refresh fails the registered sign-out handler runs.
 */

export const API_BASE = "/api/v1";

// Renew the access token this long before it expires, so requests and WS tickets rarely see 40101.
const REFRESH_MARGIN_S = 60;

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
   * @param {{requestId?: string, data?: unknown, status?: number}} [details]
   */
  constructor(code, message, { requestId = "", data = null, status = 200 } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.requestId = requestId;
    this.data = data;
    this.status = status;
  }

  /** True for codes that mean "your session is gone". */
  get isAuthError() {
    return this.code === Codes.NOT_LOGGED_IN || this.code === Codes.TOKEN_EXPIRED;
  }
}

let accessToken = null;
let refreshTimer = 0;
let refreshInFlight = null;
let onSessionRenewed = () => {};
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
 * Adopt a session answer (login, 2FA verify, bootstrap, refresh): keep the access token in
 * memory and schedule its renewal. Pass null to forget it.
 * @param {{accessToken: string, expiresIn?: number} | null} session
 */
export function setAccessToken(session) {
  clearTimeout(refreshTimer);
  accessToken = session?.accessToken ?? null;
  if (accessToken && session.expiresIn > REFRESH_MARGIN_S) {
    refreshTimer = setTimeout(() => {
      refreshSession().catch(() => {}); // failure already routed to the sign-out handler
    }, (session.expiresIn - REFRESH_MARGIN_S) * 1000);
  }
}

/** True when an access token is held. */
export function hasAccessToken() {
  return accessToken !== null;
}

/**
 * Exchange the refresh cookie for a new access token. Concurrent callers share one request.
 * Resolves with the session data; rejects (and signs out) when the cookie is missing or revoked.
 * @param {{signOutOnFailure?: boolean}} [options]
 * @returns {Promise<object>}
 */
export function refreshSession({ signOutOnFailure = true } = {}) {
  if (!refreshInFlight) {
    refreshInFlight = send("POST", "/auth/refresh", { body: {}, auth: false })
      .then((session) => {
        setAccessToken(session);
        onSessionRenewed(session);
        return session;
      })
      .catch((error) => {
        setAccessToken(null);
        if (signOutOnFailure) onSignedOut("expired");
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
      let envelope = null;
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
