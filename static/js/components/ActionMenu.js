/**
 * A menu of actions at a point of the viewport (where a row was right-clicked, or under its "⋮" button):
 * role="menu" with menuitems, the first one focused when it opens. ↑/↓ move (wrapping), Home/End go to the
 * ends, Enter/Space choose, Escape closes and gives the focus back to the opener, Tab closes; a pointer down
 * outside it, a scroll or a resize closes it too. It stays inside the viewport (flipped left/up near an edge).
 * The page renders at most one (its state says which row it is for), so only one is ever open.
 */
import { html, cx, useEffect, useLayoutEffect, useRef, useState } from "../lib/ui.js";
import { Icon } from "./Icon.js";

/** Distance kept from the viewport's edges, px. */
const EDGE_MARGIN_PX = 8;

/**
 * @typedef {{id: string, label: string, icon?: string, danger?: boolean, onSelect: () => void}} MenuAction
 */

/**
 * @param {{label: string, at: {x: number, y: number}, items: MenuAction[], onClose: () => void,
 *          opener?: Element|null}} props
 *   `at`: the viewport point of the menu's top left corner; `opener`: the element that opened it (it gets the
 *   focus back on Escape; when it is a menu button, aria-haspopup="menu", a pointer down on it is left to its own
 *   click, which toggles the menu)
 */
export function ActionMenu({ label, at, items, onClose, opener = null }) {
  const ref = useRef(null);
  const [position, setPosition] = useState(at);

  // Keep the whole menu in view: open to the left of / above the point when it would overflow.
  useLayoutEffect(() => {
    const rect = ref.current.getBoundingClientRect();
    const x = at.x + rect.width + EDGE_MARGIN_PX > window.innerWidth ? Math.max(EDGE_MARGIN_PX, at.x - rect.width) : at.x;
    const y = at.y + rect.height + EDGE_MARGIN_PX > window.innerHeight ? Math.max(EDGE_MARGIN_PX, at.y - rect.height) : at.y;
    setPosition({ x, y });
    ref.current.querySelector("[role=menuitem]")?.focus();
  }, [at.x, at.y]);

  useEffect(() => {
    const toggles = opener?.getAttribute("aria-haspopup") === "menu";
    const onPointer = (event) => {
      if (ref.current?.contains(event.target) || (toggles && opener.contains(event.target))) return;
      onClose();
    };
    const onScroll = (event) => {
      if (!ref.current?.contains(event.target)) onClose();
    };
    document.addEventListener("pointerdown", onPointer, true);
    document.addEventListener("scroll", onScroll, true);
    window.addEventListener("resize", onClose);
    return () => {
      document.removeEventListener("pointerdown", onPointer, true);
      document.removeEventListener("scroll", onScroll, true);
      window.removeEventListener("resize", onClose);
    };
  }, [onClose, opener]);

  const onKeyDown = (event) => {
    const entries = [...ref.current.querySelectorAll("[role=menuitem]")];
    const index = entries.indexOf(document.activeElement);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: entries.length - 1 };
    if (event.key in moves) {
      entries[(moves[event.key] + entries.length) % entries.length]?.focus();
    } else if (event.key === "Escape") {
      onClose();
      if (opener instanceof HTMLElement) opener.focus();
    } else if (event.key === "Tab") {
      onClose();
      return;
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const choose = (item) => {
    onClose();
    item.onSelect();
  };

  return html`<div ref=${ref} class="popover menu action-menu" role="menu" aria-label=${label} onKeyDown=${onKeyDown}
      style=${{ left: `${position.x}px`, top: `${position.y}px` }} onContextMenu=${(e) => e.preventDefault()}>
    ${items.map((item) => html`<button key=${item.id} type="button" role="menuitem" tabindex="-1"
        class=${cx("menu-item", item.danger && "menu-item-danger")} onClick=${() => choose(item)}>
      ${item.icon && html`<${Icon} name=${item.icon} />`} ${item.label}
    </button>`)}
  </div>`;
}
