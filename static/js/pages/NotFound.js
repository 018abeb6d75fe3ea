/** Unknown in-app path. */
import { html } from "../lib/ui.js";
import { Link } from "../router.js";
import { EmptyState } from "../components/EmptyState.js";

/** @param {{path?: string}} props */
export function NotFound({ path = window.location.pathname }) {
  return html`<div class="page">
    <${EmptyState} icon="alert" title="Page not found"
      action=${html`<${Link} href="/" class="button button-primary">Go to the dashboard</${Link}>`}>
      Nothing lives at <code>${path}</code>. The link may be old, or the resource kind may not exist on this cluster.
    </${EmptyState}>
  </div>`;
}
