/**
 * Facts about the server the UI adapts to (GET /api/v1/info): its version and whether it runs with
 * --read-only, in which case every write action is hidden (the server would refuse it anyway).
 */
import { createStore } from "../lib/store.js";
import { get } from "../api/client.js";

/** @type {ReturnType<typeof createStore<{version: string, readOnly: boolean}>>} */
export const serverInfo = createStore({ version: "", readOnly: false });

/** Load the facts once a session exists; a failure leaves the defaults (the server still decides). */
export async function loadServerInfo() {
  try {
    serverInfo.set(await get("/info"));
  } catch {
    /* keep defaults */
  }
}
