/**
 * Who is signed in. The access token itself stays inside api/client.js; this store holds what the
 * UI needs: status ("unknown" while restoring, "signed-in", "signed-out"), the user, and whether
 * the session came from the first-run bootstrap link (then the old password is not known).
 */
import { createStore } from "../lib/store.js";
import { refreshSession, setAccessToken, setSessionHandlers, clearSession } from "../api/client.js";
import { logout } from "../api/auth.js";
import { resetSocket, shutdownSocket } from "../api/socket.js";
import { loadServerInfo } from "./server.js";

/** @type {ReturnType<typeof createStore<{status: string, user: object|null, viaBootstrap: boolean, reason: string}>>} */
export const session = createStore({ status: "unknown", user: null, viaBootstrap: false, reason: "" });

setSessionHandlers({
  renewed: (data) => session.set((prev) => ({ ...prev, status: "signed-in", user: data.user ?? prev.user })),
  signedOut: (reason) => endSession(reason),
});

/**
 * Adopt a session answer from login, 2FA verify or bootstrap.
 * @param {{accessToken: string, expiresIn: number, user: object}} data
 * @param {{viaBootstrap?: boolean}} [options]
 */
export function startSession(data, { viaBootstrap = false } = {}) {
  setAccessToken(data);
  resetSocket();
  session.set({ status: "signed-in", user: data.user, viaBootstrap, reason: "" });
  adoptServerInfo();
}

/** Load server facts (read-only mode), then re-render what depends on the session. */
async function adoptServerInfo() {
  await loadServerInfo();
  session.set((prev) => ({ ...prev }));
}

/**
 * On page load: trade the HttpOnly refresh cookie for an access token.
 * @returns {Promise<boolean>} true when a session was restored
 */
export async function restoreSession() {
  try {
    await refreshSession({ signOutOnFailure: false });
    resetSocket();
    await adoptServerInfo();
    return true;
  } catch {
    session.set({ status: "signed-out", user: null, viaBootstrap: false, reason: "" });
    return false;
  }
}

/** Update the cached user (after a profile change). */
export function setUser(user) {
  session.set((prev) => ({ ...prev, user }));
}

/** Sign out: revoke the refresh cookie on the server, then forget everything locally. */
export async function signOut() {
  try {
    await logout();
  } catch {
    // Already revoked or server gone: signing out locally is what the user asked for.
  }
  endSession("signed-out");
}

function endSession(reason) {
  clearSession();
  shutdownSocket();
  session.set({ status: "signed-out", user: null, viaBootstrap: false, reason });
}
