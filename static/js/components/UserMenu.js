/** The signed-in user's avatar button with a small menu (settings, sign out). */
import { html, useRef, useState } from "../lib/ui.js";
import { Link, paths } from "../router.js";
import { Icon } from "./Icon.js";
import { useDismiss } from "./Picker.js";

/**
 * @param {{user: {username: string, role: string}, onSignOut: () => void}} props
 */
export function UserMenu({ user, onSignOut }) {
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  useDismiss(ref, open, () => setOpen(false));
  const initial = (user?.username ?? "?").slice(0, 1).toUpperCase();
  return html`<div class="user-menu" ref=${ref}>
    <button type="button" class="user-button" aria-haspopup="menu" aria-expanded=${open ? "true" : "false"}
        onClick=${() => setOpen(!open)} aria-label=${`Account menu for ${user?.username}`}>
      <span class="avatar" aria-hidden="true">${initial}</span>
      <span class="user-name">${user?.username}</span>
      <${Icon} name="chevronDown" size=${14} />
    </button>
    ${open && html`<div class="popover menu" role="menu">
      <div class="menu-header">
        <div class="menu-user">${user?.username}</div>
        <div class="menu-role">${user?.role}</div>
      </div>
      <${Link} href=${paths.settings("profile")} role="menuitem" class="menu-item" onClick=${() => setOpen(false)}>
        <${Icon} name="settings" /> Settings
      </${Link}>
      <${Link} href=${paths.settings("security")} role="menuitem" class="menu-item" onClick=${() => setOpen(false)}>
        <${Icon} name="lock" /> Security
      </${Link}>
      <${Link} href="/terminal-sessions" role="menuitem" class="menu-item" onClick=${() => setOpen(false)}>
        <${Icon} name="terminal" /> Terminal sessions
      </${Link}>
      ${(user?.role === "admin" || user?.role === "ops") && html`<${Link} href=${paths.admin(user.role === "admin" ? "users" : "audit")} role="menuitem" class="menu-item"
          onClick=${() => setOpen(false)}>
        <${Icon} name="shield" /> Administration
      </${Link}>`}
      <div class="menu-separator" role="separator"></div>
      <button type="button" role="menuitem" class="menu-item sign-out" onClick=${() => { setOpen(false); onSignOut(); }}>
        <${Icon} name="logout" /> Sign out
      </button>
    </div>`}
  </div>`;
}
