/**
 * Navigation: Overview, then resource kinds grouped (workloads, network, config, storage, cluster,
 * access, custom resources). Groups collapse; a filter box narrows long CRD lists.
 */
import { html, cx, useMemo, useState } from "../lib/ui.js";
import { groupKinds, kindLabel } from "../lib/kinds.js";
import { Link, paths } from "../router.js";
import { Icon } from "./Icon.js";

/**
 * @param {{clusterId: string|null, namespace: string, kinds: object[], activeResource?: string,
 *          activeSection?: string, collapsed: Record<string, boolean>, onToggleGroup: (id: string) => void,
 *          open: boolean, onNavigate?: () => void, loading?: boolean,
 *          favorites?: Array<{id: number, path: string, title: string}>, currentPath?: string, topologyActive?: boolean,
 *          portForwardsActive?: boolean, approvalsActive?: boolean}} props
 */
export function Sidebar({ clusterId, namespace, kinds, activeResource, activeSection, collapsed, onToggleGroup,
  open, onNavigate, loading = false, favorites = [], currentPath = "", topologyActive = false,
  portForwardsActive = false, approvalsActive = false }) {
  const [filter, setFilter] = useState("");
  const needle = filter.trim().toLowerCase();
  const groups = useMemo(() => {
    const matching = needle
      ? kinds.filter((k) => kindLabel(k, kinds).toLowerCase().includes(needle) || k.name.includes(needle))
      : kinds;
    return groupKinds(matching);
  }, [kinds, needle]);

  const disabled = !clusterId;
  return html`<nav id="sidebar" class=${cx("sidebar", open && "is-open")} aria-label="Resources">
    <div class="sidebar-scroll">
      <${Link} href=${clusterId ? paths.overview(clusterId) : "/"} onClick=${onNavigate}
          class=${cx("nav-item", "nav-top", activeSection === "overview" && "is-active")}
          aria-current=${activeSection === "overview" ? "page" : undefined}>
        <${Icon} name="grid" /> <span>Overview</span>
      </${Link}>
      <${Link} href=${clusterId ? paths.topology(clusterId, namespace) : "/"} onClick=${onNavigate}
          class=${cx("nav-item", "nav-top", topologyActive && "is-active")} aria-current=${topologyActive ? "page" : undefined}>
        <${Icon} name="share" /> <span>Topology</span>
      </${Link}>
      <${Link} href=${paths.portForwards()} onClick=${onNavigate}
          class=${cx("nav-item", "nav-top", portForwardsActive && "is-active")} aria-current=${portForwardsActive ? "page" : undefined}>
        <${Icon} name="link" /> <span>Port forwards</span>
      </${Link}>
      <${Link} href=${paths.approvals()} onClick=${onNavigate}
          class=${cx("nav-item", "nav-top", approvalsActive && "is-active")} aria-current=${approvalsActive ? "page" : undefined}>
        <${Icon} name="shield" /> <span>Approvals</span>
      </${Link}>
      ${favorites.length > 0 && html`<div class="nav-group nav-favorites">
        <div class="nav-group-header nav-group-static"><${Icon} name="star" size=${15} /><span>Favorites</span>
          <span class="nav-group-count">${favorites.length}</span></div>
        <ul class="nav-list" aria-label="Favorites">
          ${favorites.map((f) => html`<li key=${f.id}><${Link} href=${f.path} onClick=${onNavigate} title=${f.title}
              class=${cx("nav-item", currentPath === f.path && "is-active")} aria-current=${currentPath === f.path ? "page" : undefined}>
            <span class="nav-fav-title">${f.title}</span></${Link}></li>`)}
        </ul>
      </div>`}
      <div class="sidebar-filter">
        <${Icon} name="search" size=${14} />
        <input type="search" placeholder="Filter resources" value=${filter} aria-label="Filter resource kinds"
          onInput=${(e) => setFilter(e.currentTarget.value)} />
      </div>
      ${loading && html`<div class="sidebar-loading"><span class="skeleton"></span><span class="skeleton"></span><span class="skeleton"></span></div>`}
      ${groups.map((group) => {
        const isCollapsed = !needle && collapsed[group.id];
        const panelId = `nav-group-${group.id}`;
        return html`<div class="nav-group" key=${group.id}>
          <button type="button" class="nav-group-header" aria-expanded=${isCollapsed ? "false" : "true"}
              aria-controls=${panelId} onClick=${() => onToggleGroup(group.id)}>
            <${Icon} name=${group.icon} size=${15} />
            <span>${group.label}</span>
            <span class="nav-group-count">${group.kinds.length}</span>
            <${Icon} name="chevronRight" size=${13} class=${cx("nav-caret", !isCollapsed && "is-open")} />
          </button>
          ${!isCollapsed && html`<ul class="nav-list" id=${panelId}>
            ${group.kinds.map((kind) => {
              const active = activeResource === kind.name;
              const ns = kind.namespaced ? namespace : "_all";
              return html`<li key=${kind.name}>
                <${Link} href=${disabled ? "/" : paths.list(clusterId, ns, kind.name)} onClick=${onNavigate}
                    class=${cx("nav-item", active && "is-active", disabled && "is-disabled")}
                    aria-current=${active ? "page" : undefined} title=${kind.group ? `${kind.kind} (${kind.group})` : kind.kind}>
                  <span>${kindLabel(kind, kinds)}</span>
                </${Link}>
              </li>`;
            })}
          </ul>`}
        </div>`;
      })}
      ${!loading && groups.length === 0 && html`<p class="sidebar-empty">No kinds match “${filter}”.</p>`}
    </div>
  </nav>`;
}
