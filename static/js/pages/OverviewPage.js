/**
 * Cluster overview: the cluster's identity and health, figures from GET /clusters/{id}/overview
 * when the server provides them, and shortcuts to every resource group.
 */
import { html } from "../lib/ui.js";
import { formatCount } from "../lib/format.js";
import { groupKinds, kindLabel } from "../lib/kinds.js";
import { getOverview } from "../api/clusters.js";
import { Link, paths } from "../router.js";
import { Icon } from "../components/Icon.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { Spinner } from "../components/Spinner.js";
import { usePromise } from "./usePromise.js";

const HEALTH_TONES = { healthy: "ok", unreachable: "error", unknown: "" };

/**
 * @param {{clusterId: string, cluster?: object, kinds: object[], namespace: string}} props
 */
export function OverviewPage({ clusterId, cluster, kinds, namespace }) {
  const overview = usePromise((signal) => getOverview(clusterId, { signal }), [clusterId], {
    errorTitle: "Could not load the cluster overview", initial: null,
  });
  const counts = overview.data?.counts && typeof overview.data.counts === "object" ? overview.data.counts : null;

  return html`<div class="page">
    <div class="page-header">
      <div class="page-heading">
        <h1 class="page-title">${cluster?.name ?? `Cluster ${clusterId}`}</h1>
        ${cluster && html`<${StatusBadge} value=${cluster.status ?? "unknown"} tone=${HEALTH_TONES[cluster.status] ?? ""} />`}
      </div>
      <div class="page-subtitle">
        ${cluster?.server && html`<span class="mono">${cluster.server}</span>`}
        ${cluster?.version && html` · Kubernetes ${cluster.version}`}
        ${cluster?.source && html` · from ${cluster.source}`}
      </div>
    </div>
    <section class="card-grid" aria-label="Figures">
      ${overview.loading && html`<div class="card card-stat"><${Spinner} size="sm" inline /> Loading figures…</div>`}
      ${counts && Object.entries(counts).map(([name, value]) => html`<div class="card card-stat" key=${name}>
        <div class="stat-value">${typeof value === "number" ? formatCount(value) : formatCount(value?.total ?? 0)}</div>
        <div class="stat-label">${name}</div>
      </div>`)}
      ${!overview.loading && !counts && html`<div class="card card-stat card-muted">
        <div class="stat-note"><${Icon} name="info" size=${14} /> Cluster figures are not available${overview.error ? ` (${overview.error.message})` : ""}.</div>
      </div>`}
    </section>
    <h2 class="section-title">Resources</h2>
    <section class="card-grid card-grid-wide">
      ${groupKinds(kinds).map((group) => html`<div class="card" key=${group.id}>
        <h3 class="card-title"><${Icon} name=${group.icon} size=${15} /> ${group.label}</h3>
        <ul class="link-list">
          ${group.kinds.slice(0, 8).map((kind) => html`<li key=${kind.name}>
            <${Link} href=${paths.list(clusterId, kind.namespaced ? namespace : "_all", kind.name)}>${kindLabel(kind)}</${Link}>
          </li>`)}
          ${group.kinds.length > 8 && html`<li class="muted">+ ${group.kinds.length - 8} more in the sidebar</li>`}
        </ul>
      </div>`)}
    </section>
  </div>`;
}
