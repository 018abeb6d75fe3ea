/**
 * The root component: picks the screen from the session state and the route.
 *
 *   bootstrap token present      → BootstrapPage (exchange the first-run link)
 *   session unknown              → full-page loader (restoring from the refresh cookie)
 *   session waiting              → "try again in N s" (a rate-limited restore; retried, not signed out)
 *   signed out                   → LoginPage (any other path redirects to /login?next=…)
 *   must change password         → SetPasswordPage
 *   signed in                    → Workspace (layout + routed page)
 *   /_dev/table                  → DevTablePage, regardless of session (synthetic data only)
 */
import { html, useState } from "./lib/ui.js";
import { useStore } from "./lib/store.js";
import { session } from "./state/session.js";
import { dismissToast, toasts } from "./state/toasts.js";
import { useRoute } from "./router.js";
import { ToastStack } from "./components/Toast.js";
import { LoadingBlock } from "./components/Spinner.js";
import { LoginPage } from "./pages/LoginPage.js";
import { BootstrapPage } from "./pages/BootstrapPage.js";
import { SetPasswordPage } from "./pages/SetPasswordPage.js";
import { Workspace } from "./pages/Workspace.js";
import { DevTablePage } from "./pages/DevTablePage.js";
import { Redirect } from "./pages/Redirect.js";

/** @param {{bootstrapToken: string|null}} props */
export function App({ bootstrapToken }) {
  const route = useRoute();
  const current = useStore(session);
  const toastList = useStore(toasts);
  const [token, setToken] = useState(bootstrapToken);

  return html`${screen({ route, current, token, clearToken: () => setToken(null) })}
    <${ToastStack} toasts=${toastList} onDismiss=${dismissToast} />`;
}

function screen({ route, current, token, clearToken }) {
  if (route.name === "dev-table") return html`<${DevTablePage} query=${route.query} />`;
  if (token && current.status !== "signed-in") return html`<${BootstrapPage} token=${token} onFinished=${clearToken} />`;
  if (current.status === "unknown") return html`<div class="boot-screen"><${LoadingBlock} label="Loading KubeVision…" /></div>`;
  if (current.status === "waiting") {
    return html`<div class="boot-screen"><p role="status" class="boot-wait">${current.reason}</p>
      <${LoadingBlock} label="Still signed in; restoring the session…" /></div>`;
  }
  if (current.status === "signed-out") {
    if (route.name !== "login") {
      // Come back to the deep link after signing in.
      const search = route.query.toString();
      const target = route.path + (search ? `?${search}` : "");
      const next = route.name === "home" || current.reason === "signed-out" ? "" : `?next=${encodeURIComponent(target)}`;
      return html`<${Redirect} to=${`/login${next}`} />`;
    }
    return html`<${LoginPage} reason=${current.reason} />`;
  }
  if (route.name === "login") return html`<${Redirect} to=${safeNext(route.query.get("next"))} />`;
  if (current.user?.mustChangePassword) {
    return html`<${SetPasswordPage} user=${current.user} viaBootstrap=${current.viaBootstrap} />`;
  }
  return html`<${Workspace} route=${route} user=${current.user} />`;
}

/** Only same-app paths are followed after sign-in (no open redirect). */
function safeNext(next) {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/";
}
