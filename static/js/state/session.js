/**
 * Who is signed in. The access token itself stays inside api/client.js; this store holds what the
 * UI needs: status ("unknown" while restoring, "waiting" while a rate-limited restore waits to try
 * again — `reason` then says for how long —, "signed-in", "signed-out"), the user, and whether
 * the session came from the first-run bootstrap link (then the old password is not known).
 */
import { createStore } from "../lib/store.js";
import {
  adoptSharedSession, Codes, refreshSession, setAccessToken, setSessionHandlers, clearSession,
} from "../api/client.js";
import { logout } from "../api/auth.js";
import { resetSocket, shutdownSocket } from "../api/socket.js";
import { loadServerInfo } from "./server.js";

/** @type {ReturnType<typeof createStore<{status: string, user: object|null, viaBootstrap: boolean, reason: string}>>} */
export const session = createStore({ status: "unknown", user: null, viaBootstrap: false, reason: "" });

// A rate-limited restore is retried after the server's Retry-After, or after this long without one.
const RESTORE_RETRY_S = 5;

setSessionHandlers({
  renewed: (data) => {
    const prev = session.get();
    // Another tab signed in (maybe as someone else): the socket must reconnect with this session.
    if (prev.status !== "signed-in" || (data.user && data.user.id !== prev.user?.id)) resetSocket();
    session.set({ ...prev, status: "signed-in", user: data.user ?? prev.user, reason: "" });
  },
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
 * On page load: adopt the access token the other tabs share, or else trade the HttpOnly refresh
 * cookie for one. A rate-limited refresh (42900) is not a sign-out: the status is "waiting" with a
 * "try again in N s" reason, and the restore runs again after the server's Retry-After.
 * @returns {Promise<boolean>} true when a session was restored
 */
export async function restoreSession() {
  const shared = adoptSharedSession();
  try {
    const data = shared ?? (await refreshSession({ signOutOnFailure: false }));
    resetSocket();
    session.set({ status: "signed-in", user: data.user, viaBootstrap: false, reason: "" });
    await adoptServerInfo();
    return true;
  } catch (error) {
    if (error?.code === Codes.RATE_LIMITED) {
      const waitS = error.retryAfterS || RESTORE_RETRY_S;
      session.set({ status: "waiting", user: null, viaBootstrap: false,
        reason: `Too many session renewals from this browser: try again in ${waitS} s.` });
      setTimeout(() => session.get().status === "waiting" && restoreSession(), waitS * 1000);
      return false;
    }
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
