/**
 * One kind across several clusters: the server merges each cluster's rows (sorted and filtered there) with a
 * Cluster column; each cluster's total or error is listed above the table, so a failing cluster is its own line,
 * never a failed page. Clusters and namespaces are named as everywhere: comma-separated (`?clusters=1,4`,
 * `?namespace=a,b`). Live: one watch subscription per cluster shown (the shared socket); any change or resync
 * re-reads the merged page, at most once per LIVE_REFRESH_MS (the order across clusters is the server's merge, so
 * the page is read again rather than patched).
 */
import { html, cx, useEffect, useMemo, useState } from "../lib/ui.js";
import { formatCount } from "../lib/format.js";
import { kindLabel } from "../lib/kinds.js";
import { listAcrossClusters } from "../api/fleet.js";
import { watch } from "../api/socket.js";
import { Link, navigate, paths, updateQuery } from "../router.js";
import { DataTable } from "../components/DataTable.js";
import { Icon } from "../components/Icon.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { tableColumns } from "./resourceColumns.js";
import { usePromise } from "./usePromise.js";

// At most one re-read of the merged page per this many ms while the clusters change.
const LIVE_REFRESH_MS = 1000;
const FILTER_DEBOUNCE_MS = 300;
const PAGE_SIZE = 1000;

/**
 * @param {{resource: string, kinds: object[], clusters: object[], query: URLSearchParams}} props
 *   `kinds`: a cluster's kind list (for labels and the kind chooser); `clusters`: every cluster the user may see.
 */
export function FleetListPage({ resource, kinds, clusters, query }) {
  const chosen = (query.get("clusters") ?? "").split(",").filter(Boolean);
  const namespace = query.get("namespace") ?? "";
  const sort = query.get("sort") ?? "name";
  const [filter, setFilter] = useState(query.get("q") ?? "");
  const [text, setText] = useState(filter);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setTimeout(() => { setText(filter); updateQuery({ q: filter || null }); }, FILTER_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [filter]);
  const shown = (chosen.length ? chosen : clusters.map((cluster) => String(cluster.id))).join(",");
  useEffect(() => {
    let timer = null;
    const changed = () => {
      timer ??= setTimeout(() => { timer = null; setTick((n) => n + 1); }, LIVE_REFRESH_MS);
    };
    // A cluster that cannot be watched says so in the list answer (its own line above the table).
    const stops = shown.split(",").filter(Boolean).map((id) => watch(
      { cluster: Number(id), resource, namespace: namespace || undefined, view: "table" },
      { onEvents: changed, onResync: changed, onError: () => {} }));
    return () => {
      stops.forEach((stop) => stop());
      if (timer !== null) clearTimeout(timer);
    };
  }, [resource, shown, namespace]);
  const list = usePromise((signal) => listAcrossClusters(resource, {
    clusters: chosen.join(",") || undefined, namespace: namespace || undefined, q: text || undefined, sort,
    pageSize: PAGE_SIZE, signal,
  }), [resource, chosen.join(","), namespace, text, sort, tick], { errorTitle: "Could not list across clusters" });

  const kind = kinds.find((k) => k.name === resource);
  const title = kind ? kindLabel(kind, kinds) : resource;
  const data = list.data?.data;
  const columns = useMemo(() => tableColumns(data?.columns ?? [], { clusterId: "", resource, showNamespace: true })
    .filter((column) => column.priority === 0), [data?.columns, resource]);
  const rows = data?.rows ?? [];
  const parts = data?.clusters ?? [];
  const total = list.data?.meta?.total ?? 0;
  // No `clusters` means all of them: unticking one then names the others.
  const toggleCluster = (id) => {
    const current = shown.split(",").filter(Boolean);
    const next = current.includes(id) ? current.filter((each) => each !== id) : [...current, id];
    const all = next.length === 0 || next.length === clusters.length;
    updateQuery({ clusters: all ? null : next.sort((a, b) => Number(a) - Number(b)).join(",") });
  };
  const sortKey = sort.replace(/^-/, "");
  const kindChoices = kind ? kinds : [{ name: resource }, ...kinds];

  return html`<div class="page page-list page-fleet">
    <div class="page-header">
      <div class="page-heading">
        <h1 class="page-title">${title} · all clusters</h1>
        <span class="count-badge" title="Rows shown / matching in all clusters">${formatCount(rows.length)}${total > rows.length ? ` / ${formatCount(total)}` : ""}</span>
      </div>
      <div class="page-subtitle">${namespace ? html`Namespaces <strong>${namespace.split(",").join(", ")}</strong>` : "All namespaces"}
        · live · <${Link} href=${paths.fleetOverview()}>every cluster at a glance</${Link}></div>
    </div>
    <ul class="fleet-clusters" aria-label="Clusters">
      ${clusters.map((cluster) => {
        const id = String(cluster.id);
        const part = parts.find((p) => String(p.id) === id);
        const included = chosen.length === 0 || chosen.includes(id);
        return html`<li key=${id} class=${cx("fleet-cluster", part && part.code !== 0 && "has-error")}>
          <label><input type="checkbox" checked=${included} onChange=${() => toggleCluster(id)} /> ${cluster.name}</label>
          ${part && (part.code === 0
            ? html`<span class="fleet-count">${formatCount(part.total ?? 0)}</span>`
            : html`<${StatusBadge} value="error" tone="error" /><span class="fleet-error" role="status">${part.message}</span>`)}
        </li>`;
      })}
    </ul>
    <div class="toolbar">
      <label class="search-field">
        <${Icon} name="search" size=${15} />
        <input type="search" placeholder=${`Filter ${title.toLowerCase()} in every cluster`} value=${filter}
          aria-label="Filter rows" onInput=${(e) => setFilter(e.currentTarget.value)} />
      </label>
      <label class="search-field">
        <${Icon} name="layers" size=${15} />
        <input type="search" placeholder="Namespaces, e.g. team-a,team-b" value=${namespace} aria-label="Namespaces"
          spellcheck="false" onChange=${(e) => updateQuery({ namespace: e.currentTarget.value.replace(/\s+/g, "") || null })} />
      </label>
      ${kindChoices.length > 0 && html`<select class="select" aria-label="Kind" value=${resource}
          onChange=${(e) => navigate(paths.fleet(e.currentTarget.value) + window.location.search)}>
        ${kindChoices.map((k) => html`<option key=${k.name} value=${k.name}>${k.kind ? kindLabel(k, kinds) : k.name}</option>`)}
      </select>`}
      <div class="toolbar-spacer"></div>
      <button type="button" class="button" onClick=${list.reload} title="Reload the list">
        <${Icon} name="refresh" size=${14} /> Refresh
      </button>
    </div>
    <div class="table-region">
      <${DataTable} virtual label=${`${title} in all clusters`} columns=${columns} rows=${rows}
        rowKey=${(row) => `${row.cluster}/${row.namespace ?? ""}/${row.name}`}
        loading=${list.loading && !data} error=${list.error} onRetry=${list.reload}
        empty=${text ? `No ${title.toLowerCase()} match “${text}”.` : `No ${title.toLowerCase()} found.`}
        sort=${{ key: sortKey, dir: sort.startsWith("-") ? "desc" : "asc" }}
        onSortChange=${(next) => updateQuery({ sort: `${next.dir === "desc" ? "-" : ""}${next.key}` })}
        onRowActivate=${(row) => navigate(paths.detail(String(row.cluster), row.namespace, resource, row.name))} activateOnClick />
    </div>
  </div>`;
}
