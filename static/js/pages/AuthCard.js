/** The centred card frame shared by the sign-in, 2FA, bootstrap and password screens. */
import { html } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { cycleTheme, theme } from "../state/theme.js";
import { Logo } from "../components/Icon.js";
import { ThemeToggle } from "../components/ThemeToggle.js";

/**
 * @param {{title: string, subtitle?: any, children: any, footer?: any}} props
 */
export function AuthCard({ title, subtitle, children, footer }) {
  const themeValue = useStore(theme);
  return html`<div class="auth-screen">
    <div class="auth-corner"><${ThemeToggle} theme=${themeValue} onToggle=${cycleTheme} /></div>
    <main class="auth-card" id="main">
      <div class="auth-brand"><${Logo} size=${36} /><span>KubeVision</span></div>
      <h1 class="auth-title">${title}</h1>
      ${subtitle && html`<p class="auth-subtitle">${subtitle}</p>`}
      ${children}
    </main>
    ${footer && html`<div class="auth-footer">${footer}</div>`}
  </div>`;
}

/** Inline form error with the request id (kept out of the toast stack: it belongs to the form). */
export function FormError({ error }) {
  if (!error) return null;
  return html`<div class="form-error" role="alert">
    <div>${error.message}</div>
    ${error.requestId && html`<div class="form-error-id">Request ID <code>${error.requestId}</code></div>`}
  </div>`;
}
