/** The top bar: brand, sidebar toggle (narrow screens), cluster and namespace pickers, theme, user. */
import { html } from "../lib/ui.js";
import { Link } from "../router.js";
import { Icon, Logo } from "./Icon.js";
import { ClusterPicker } from "./ClusterPicker.js";
import { NamespacePicker } from "./NamespacePicker.js";
import { ThemeToggle } from "./ThemeToggle.js";
import { UserMenu } from "./UserMenu.js";

/**
 * @param {{
 *   clusters: object[], clusterId: string|null, onClusterChange: (id: string) => void,
 *   namespaces: string[], namespace: string, onNamespaceChange: (ns: string) => void, recentNamespaces?: string[],
 *   namespaceMode: "hidden"|"enabled"|"cluster-scoped",
 *   user: object, theme: string, onToggleTheme: () => void, onSignOut: () => void,
 *   onToggleSidebar: () => void, sidebarOpen: boolean, onSearch?: () => void,
 * }} props
 */
export function Topbar(props) {
  const { clusters, clusterId, onClusterChange, namespaces, namespace, onNamespaceChange, namespaceMode, recentNamespaces,
    user, theme, onToggleTheme, onSignOut, onToggleSidebar, sidebarOpen, onSearch } = props;
  const mac = /Mac|iPhone|iPad/.test(navigator.platform);
  return html`<header class="topbar">
    <button type="button" class="icon-button sidebar-toggle" onClick=${onToggleSidebar}
        aria-label=${sidebarOpen ? "Close navigation" : "Open navigation"} aria-expanded=${sidebarOpen ? "true" : "false"}
        aria-controls="sidebar">
      <${Icon} name="menu" size=${18} />
    </button>
    <${Link} href="/" class="brand" aria-label="KubeVision home">
      <${Logo} size=${26} />
      <span class="brand-name">KubeVision</span>
    </${Link}>
    <div class="topbar-pickers">
      <${ClusterPicker} clusters=${clusters} value=${clusterId} onSelect=${onClusterChange} />
      ${namespaceMode !== "hidden" && html`<${NamespacePicker} namespaces=${namespaces} value=${namespace}
        recent=${recentNamespaces ?? []}
        onSelect=${onNamespaceChange} clusterScoped=${namespaceMode === "cluster-scoped"} />`}
    </div>
    <div class="topbar-spacer"></div>
    ${onSearch && html`<button type="button" class="search-trigger" onClick=${onSearch} aria-label="Search (${mac ? "⌘" : "Ctrl+"}K)">
      <${Icon} name="search" size=${15} /><span class="search-trigger-text">Search…</span>
      <kbd class="kbd">${mac ? "⌘" : "Ctrl"} K</kbd>
    </button>`}
    <div class="topbar-actions">
      <${ThemeToggle} theme=${theme} onToggle=${onToggleTheme} />
      <${UserMenu} user=${user} onSignOut=${onSignOut} />
    </div>
  </header>`;
}
