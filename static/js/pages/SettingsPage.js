/** Personal settings: profile facts, appearance (theme) and password change. */
import { html, cx } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { setTheme, theme, THEMES } from "../state/theme.js";
import { Link, paths } from "../router.js";
import { Icon } from "../components/Icon.js";
import { PasswordForm } from "./PasswordForm.js";
import { PlaceholderPage } from "./PlaceholderPage.js";
import { SecurityPage } from "./account/SecurityPage.js";
import { ApiKeysPage } from "./account/ApiKeysPage.js";

const SECTIONS = [["profile", "Profile"], ["appearance", "Appearance"], ["password", "Password"], ["security", "Security"],
  ["api-keys", "API keys"]];
const THEME_ICONS = { system: "monitor", light: "sun", dark: "moon" };

/** @param {{section: string, user: object}} props */
export function SettingsPage({ section, user }) {
  if (!SECTIONS.some(([id]) => id === section)) return html`<${PlaceholderPage} title="Settings" />`;
  return html`<div class="page">
    <div class="page-header"><h1 class="page-title">Settings</h1>
      <div class="page-actions"><${Link} class="button" href=${paths.terminalSessions()}><${Icon} name="terminal" size=${14} /> Terminal sessions</${Link}></div>
    </div>
    <div class="tabs" role="tablist">
      ${SECTIONS.map(([id, label]) => html`<${Link} key=${id} href=${paths.settings(id)} role="tab"
          aria-selected=${section === id ? "true" : "false"} class=${cx("tab", section === id && "is-active")}>${label}</${Link}>`)}
    </div>
    <div class="tab-panel settings-panel">
      ${section === "profile" && html`<div class="card"><dl class="properties">
        <div class="property"><dt>Username</dt><dd>${user.username}</dd></div>
        <div class="property"><dt>Role</dt><dd>${user.role}</dd></div>
        <div class="property"><dt>Email</dt><dd>${user.email || html`<span class="muted">—</span>`}</dd></div>
        <div class="property"><dt>Two-factor authentication</dt><dd>${user.totpEnabled ? "On" : "Off"}</dd></div>
      </dl></div>`}
      ${section === "appearance" && html`<${Appearance} />`}
      ${section === "security" && html`<${SecurityPage} user=${user} />`}
      ${section === "api-keys" && html`<${ApiKeysPage} />`}
      ${section === "password" && html`<div class="card card-narrow">
        <${PasswordForm} username=${user.username} askOldPassword submitLabel="Change password" />
      </div>`}
    </div>
  </div>`;
}

function Appearance() {
  const current = useStore(theme);
  return html`<div class="card card-narrow">
    <h2 class="card-title">Theme</h2>
    <div class="segmented" role="radiogroup" aria-label="Theme">
      ${THEMES.map((value) => html`<button type="button" key=${value} role="radio" aria-checked=${current === value ? "true" : "false"}
          class=${cx("segment", current === value && "is-active")} onClick=${() => setTheme(value)}>
        <${Icon} name=${THEME_ICONS[value]} size=${15} /> ${value[0].toUpperCase() + value.slice(1)}
      </button>`)}
    </div>
  </div>`;
}
