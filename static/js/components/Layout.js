/**
 * The signed-in frame: skip link, top bar, sidebar and the main region. On narrow screens the
 * sidebar becomes an overlay drawer with a scrim.
 */
import { html, cx } from "../lib/ui.js";
import { Topbar } from "./Topbar.js";
import { Sidebar } from "./Sidebar.js";

/**
 * @param {{topbar: object, sidebar: object, sidebarOpen: boolean, onCloseSidebar: () => void, children: any}} props
 *   `topbar` and `sidebar` are the props of Topbar and Sidebar.
 */
export function Layout({ topbar, sidebar, sidebarOpen, onCloseSidebar, children }) {
  return html`<div class=${cx("app-shell", sidebarOpen && "sidebar-open")}>
    <a class="skip-link" href="#main">Skip to content</a>
    <${Topbar} ...${topbar} sidebarOpen=${sidebarOpen} />
    <div class="app-body">
      <${Sidebar} ...${sidebar} open=${sidebarOpen} onNavigate=${onCloseSidebar} />
      <div class="sidebar-scrim" onClick=${onCloseSidebar} aria-hidden="true"></div>
      <main id="main" class="app-main" tabindex="-1">${children}</main>
    </div>
  </div>`;
}
