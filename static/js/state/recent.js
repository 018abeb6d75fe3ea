/** Recently opened objects (from the Cmd/Ctrl+K palette), kept per browser in localStorage. */
import { createStore } from "../lib/store.js";

const KEY = "kubevision.recent";
const MAX = 8;

function read() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

/** @type {ReturnType<typeof createStore<Array<{path: string, kind: string, name: string, namespace?: string, cluster: string}>>>} */
export const recent = createStore(read());

/**
 * Remember an opened item (most recent first, no duplicates).
 * @param {{path: string, kind: string, name: string, namespace?: string, cluster: string}} item
 */
export function rememberRecent(item) {
  recent.set((list) => {
    const next = [item, ...list.filter((i) => i.path !== item.path)].slice(0, MAX);
    try {
      localStorage.setItem(KEY, JSON.stringify(next));
    } catch {
      // storage full or disabled: the list still works for this tab
    }
    return next;
  });
}
