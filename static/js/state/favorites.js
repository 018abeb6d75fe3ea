/**
 * The signed-in user's favorites (starred objects and list views), kept on the server and mirrored
 * here so the sidebar and every star button agree. Loaded once per session by the Workspace.
 */
import { createStore } from "../lib/store.js";
import { addFavorite, listFavorites, removeFavorite } from "../api/account.js";
import { notifyError } from "./toasts.js";

/** @type {ReturnType<typeof createStore<{loaded: boolean, items: Array<object>}>>} */
export const favorites = createStore({ loaded: false, items: [] });

/** Fetch the list (again). */
export async function loadFavorites() {
  try {
    const items = await listFavorites();
    favorites.set({ loaded: true, items: items ?? [] });
  } catch (error) {
    favorites.set((prev) => ({ ...prev, loaded: true }));
    notifyError("Could not load favorites", error);
  }
}

/**
 * Star or un-star an app path.
 * @param {{path: string, title: string, cluster?: number, resource?: string, namespace?: string, name?: string}} target
 */
export async function toggleFavorite(target) {
  const existing = favorites.get().items.find((f) => f.path === target.path);
  try {
    if (existing) {
      await removeFavorite(existing.id);
      favorites.set((prev) => ({ ...prev, items: prev.items.filter((f) => f.id !== existing.id) }));
    } else {
      const created = await addFavorite(target);
      favorites.set((prev) => ({ ...prev, items: [...prev.items.filter((f) => f.path !== created.path), created] }));
    }
  } catch (error) {
    notifyError(existing ? "Could not remove the favorite" : "Could not add the favorite", error);
  }
}

/** Forget (on sign-out). */
export function resetFavorites() {
  favorites.set({ loaded: false, items: [] });
}
