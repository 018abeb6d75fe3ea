/** Sign-in, 2FA, bootstrap, sign-out and own-account calls (thin wrappers over the client). */
import { get, post, put, Codes, ApiError, API_BASE } from "./client.js";

/**
 * Step one of sign-in.
 * @returns {Promise<{session?: object, twoFactor?: {sessionToken: string}}>} a session, or the
 *   2FA session token when the account has 2FA on
 */
export async function login(username, password) {
  try {
    return { session: await post("/auth/login", { username, password }, { auth: false }) };
  } catch (error) {
    const sessionToken = error instanceof ApiError ? /** @type {{sessionToken?: string}} */ (error.data)?.sessionToken : undefined;
    if (error.code === Codes.TWO_FACTOR_REQUIRED && sessionToken) {
      return { twoFactor: { sessionToken } };
    }
    throw error;
  }
}

/** Second sign-in step with a TOTP or recovery code; resolves with the session. */
export function verifyTwoFactor(sessionToken, code) {
  return post("/auth/2fa/verify", { sessionToken, code }, { auth: false });
}

/** Exchange the first-run bootstrap link token for an admin session. */
export function bootstrap(token) {
  return post("/auth/bootstrap", { token }, { auth: false });
}

/** Revoke the refresh cookie (the server clears it). */
export function logout() {
  return post("/auth/logout", {}, { auth: false });
}

/** The signed-in user. */
export function fetchMe() {
  return get("/users/me");
}

/**
 * Change the caller's password. `oldPassword` is omitted for a bootstrap session, which never
 * knew the generated password. The server signs the user out everywhere afterwards.
 * @param {{oldPassword?: string, newPassword: string}} change
 */
export function changePassword({ oldPassword, newPassword }) {
  const body = oldPassword === undefined ? { newPassword } : { oldPassword, newPassword };
  return put("/users/me/password", body);
}

/** A 30-second single-use WebSocket ticket. */
export async function wsTicket() {
  const data = await post("/ws/ticket", {});
  return data.ticket;
}

/**
 * The ws(s):// URL of an API socket with a fresh ticket (every socket needs one, and each works once):
 * open it at once. Query values that are empty are left out, booleans become "true"/"false", arrays
 * repeat the parameter. Rejects when no ticket could be had (see `ticketRefused` in lib/reconnect.js).
 * @param {string} path under /api/v1, e.g. "/ws/watch"
 * @param {Record<string, unknown>} [query]
 * @returns {Promise<string>}
 */
export async function ticketedSocketUrl(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, ticket: await wsTicket() })) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") params.append(key, String(item));
    }
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${API_BASE}${path}?${params}`;
}
