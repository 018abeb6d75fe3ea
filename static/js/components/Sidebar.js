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
 *          open: boolean, onNavigate?: () => void, loading?: boolean}} props
 */
export function Sidebar({ clusterId, namespace, kinds, activeResource, activeSection, collapsed, onToggleGroup,
  open, onNavigate, loading = false }) {
  const [filter, setFilter] = useState("");
  const needle = filter.trim().toLowerCase();
  const groups = useMemo(() => {
    const matching = needle
      ? kinds.filter((k) => kindLabel(k).toLowerCase().includes(needle) || k.name.includes(needle))
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
                  <span>${kindLabel(kind)}</span>
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
