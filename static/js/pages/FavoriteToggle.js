/** The header star of the current page, bound to the favorites store. */
import { html } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { favorites, toggleFavorite } from "../state/favorites.js";
import { FavoriteButton } from "../components/FavoriteButton.js";

/**
 * @param {{path: string, title: string, cluster?: string|number, resource?: string, namespace?: string, name?: string}} props
 */
export function FavoriteToggle({ path, title, cluster, resource, namespace, name }) {
  const items = useStore(favorites, (f) => f.items);
  const starred = items.some((f) => f.path === path);
  const clusterNumber = Number(cluster);
  return html`<${FavoriteButton} starred=${starred} title=${title}
    onToggle=${() => toggleFavorite({ path, title, cluster: Number.isInteger(clusterNumber) ? clusterNumber : undefined,
      resource, namespace, name })} />`;
}
