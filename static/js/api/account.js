/** The signed-in user's own security settings: 2FA, sign out everywhere, API keys, favorites. */
import { del, get, post } from "./client.js";

/** @returns {Promise<{enabled: boolean, recoveryCodesRemaining: number}>} */
export function twoFactorStatus(options) {
  return get("/auth/2fa/status", options);
}

/**
 * Start 2FA setup: a new secret (not active until enabled).
 * @returns {Promise<{otpauthUrl: string, secret: string, qrSvg: string, recoveryCodes: string[]}>}
 */
export function setupTwoFactor() {
  return post("/auth/2fa/setup");
}

/**
 * Turn 2FA on with a code from the authenticator; the server asks for the current password again.
 * @param {{code: string, currentPassword: string}} confirmation
 */
export function enableTwoFactor({ code, currentPassword }) {
  return post("/auth/2fa/enable", { code, currentPassword });
}

/**
 * Turn 2FA off with the current password and a TOTP or recovery code (signs the user out everywhere).
 * @param {{code: string, currentPassword: string}} confirmation
 */
export function disableTwoFactor({ code, currentPassword }) {
  return post("/auth/2fa/disable", { code, currentPassword });
}

/**
 * Revoke every token of the caller; with `revokeApiKeys` every API key too.
 * @param {{revokeApiKeys?: boolean}} [options]
 * @returns {Promise<{apiKeysRevoked: number}>}
 */
export function logoutAll({ revokeApiKeys = false } = {}) {
  return post("/auth/logout-all", { revokeApiKeys });
}

/** @returns {Promise<Array<{id: number, name: string, prefix: string, expiresAt: string|null, createdAt: string, lastUsedAt: string|null}>>} */
export function listApiKeys(options) {
  return get("/api-keys", options);
}

/**
 * Create an API key; the answer's `key` is shown only once. The server asks for the current password again.
 * @param {{name: string, expiresInDays?: number, currentPassword: string}} body
 */
export function createApiKey({ name, expiresInDays, currentPassword }) {
  return post("/api-keys", expiresInDays ? { name, expiresInDays, currentPassword } : { name, currentPassword });
}

/** Revoke an API key. */
export function deleteApiKey(id) {
  return del(`/api-keys/${encodeURIComponent(id)}`);
}

/** @returns {Promise<Array<{id: number, path: string, title: string, cluster?: number, resource?: string, namespace?: string, name?: string}>>} */
export function listFavorites(options) {
  return get("/favorites", options);
}

/**
 * Star an app route.
 * @param {{path: string, title: string, cluster?: number, resource?: string, namespace?: string, name?: string}} favorite
 */
export function addFavorite(favorite) {
  const body = Object.fromEntries(Object.entries(favorite).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  return post("/favorites", body);
}

/** Un-star. */
export function removeFavorite(id) {
  return del(`/favorites/${encodeURIComponent(id)}`);
}
