/** A clearly labelled page for sections that exist in the navigation but are not built yet. */
import { html } from "../lib/ui.js";
import { EmptyState } from "../components/EmptyState.js";

/** @param {{title: string, children?: any}} props */
export function PlaceholderPage({ title, children }) {
  return html`<div class="page">
    <div class="page-header"><h1 class="page-title">${title}</h1></div>
    <${EmptyState} icon="info" title="Coming soon">${children ?? "This section is not available in this build yet."}</${EmptyState}>
  </div>`;
}
