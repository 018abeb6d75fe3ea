/** A star toggle for page headers: starred pages appear under Favorites in the sidebar. */
import { html, cx, useState } from "../lib/ui.js";
import { Icon } from "./Icon.js";

/**
 * @param {{starred: boolean, onToggle: () => Promise<void>|void, title: string}} props `title` names the page
 */
export function FavoriteButton({ starred, onToggle, title }) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    try {
      await onToggle();
    } finally {
      setBusy(false);
    }
  };
  const label = starred ? `Remove ${title} from favorites` : `Add ${title} to favorites`;
  return html`<button type="button" class=${cx("icon-button", "favorite-button", starred && "is-starred")} onClick=${click}
      disabled=${busy} aria-pressed=${starred ? "true" : "false"} aria-label=${label} title=${label}>
    <${Icon} name="star" size=${17} />
  </button>`;
}
