/** Administration: users (admin), audit log (admin, ops), terminal sessions and recordings. */
import { del, get, post, put, requestText } from "./client.js";

const enc = encodeURIComponent;

/** Every user. */
export function listUsers(options) {
  return get("/users", options);
}

/**
 * Create a user.
 * @param {{username: string, password: string, role: string, email?: string, clusters?: number[]|null,
 *          namespaces?: string[]|null, permissions?: string[]}} body
 */
export function createUser(body) {
  return post("/users", body);
}

/** Partial update: role, email, clusters, namespaces, permissions, active. */
export function updateUser(id, changes) {
  return put(`/users/${enc(id)}`, changes);
}

/** Delete a user. */
export function deleteUser(id) {
  return del(`/users/${enc(id)}`);
}

/** Set a password the user must change at next sign-in. */
export function resetUserPassword(id, password) {
  return post(`/users/${enc(id)}/reset-password`, { password });
}

/** Turn a user's 2FA off. */
export function resetUserTwoFactor(id) {
  return post(`/users/${enc(id)}/reset-2fa`);
}

/**
 * One page of the audit log, newest first.
 * @param {{user?: string, action?: string, cluster?: string|number, since?: string, page?: number, pageSize?: number,
 *          signal?: AbortSignal}} query
 * @returns {Promise<{data: object[], meta: {total: number, page: number, pageSize: number}}>}
 */
export function listAuditLogs({ signal, ...query } = {}) {
  return get("/audit-logs", { query, signal, withMeta: true });
}

/**
 * Terminal sessions, newest first (the caller's; an admin sees everyone's).
 * @param {{page?: number, pageSize?: number, signal?: AbortSignal}} [options]
 * @returns {Promise<{data: object[], meta: {total: number, page: number, pageSize: number}}>}
 */
export function listTerminalSessions({ page = 1, pageSize = 50, signal } = {}) {
  return get("/terminal-sessions", { query: { page, pageSize }, signal, withMeta: true });
}

/** One terminal session. */
export function getTerminalSession(id, options) {
  return get(`/terminal-sessions/${enc(id)}`, options);
}

/** The asciinema v2 recording of a session, as text. */
export function fetchRecording(id, options) {
  return requestText(`/terminal-sessions/${enc(id)}/recording`, options);
}
