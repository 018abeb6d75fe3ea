/**
 * Facts about the server the UI adapts to (GET /api/v1/info): its version and whether it runs with
 * --read-only, in which case every write action is hidden (the server would refuse it anyway), and how long a
 * resource table may be before it is windowed (`table_window_rows`: pages/useLiveTable.js).
 */
import { createStore } from "../lib/store.js";
import { get } from "../api/client.js";

/** The server's default `table_window_rows`, until /info answers. */
const TABLE_WINDOW_ROWS = 10_000;

/** @type {ReturnType<typeof createStore<{version: string, readOnly: boolean, tableWindowRows: number}>>} */
export const serverInfo = createStore({ version: "", readOnly: false, tableWindowRows: TABLE_WINDOW_ROWS });

/** Load the facts once a session exists; a failure leaves the defaults (the server still decides). */
export async function loadServerInfo() {
  try {
    serverInfo.set({ ...serverInfo.get(), ...(await get("/info")) });
  } catch {
    /* keep defaults */
  }
}
