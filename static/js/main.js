/**
 * Entry point: apply the saved theme, take a first-run bootstrap token out of the address bar
 * (it must not stay in history), restore the session from the refresh cookie, and mount the app.
 */
import { html, render } from "./lib/ui.js";
import { applyTheme } from "./state/theme.js";
import { restoreSession } from "./state/session.js";
import { navigate } from "./router.js";
import { App } from "./App.js";

applyTheme();

const url = new URL(window.location.href);
const bootstrapToken = url.searchParams.get("bootstrap");
if (bootstrapToken) {
  url.searchParams.delete("bootstrap");
  navigate(url.pathname + url.search, { replace: true });
} else {
  restoreSession();
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} bootstrapToken=${bootstrapToken} />`, root);
