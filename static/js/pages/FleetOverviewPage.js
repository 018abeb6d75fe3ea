/**
 * Every cluster at a glance: one row per cluster (its nodes, pods, workloads and resource requests, or its own
 * error: a failing cluster is a row that says why, never a failed page) and a totals row over the clusters that
 * answered, with links to each cluster's overview and to the lists of a kind across all clusters. Refreshed every
 * REFRESH_MS, like the lists across clusters (several clusters have no one watch).
 */
import { html, cx, useEffect, useState } from "../lib/ui.js";
import { formatBytes, formatCores, formatCount } from "../lib/format.js";
import { kindLabel } from "../lib/kinds.js";
import { overviewAcrossClusters } from "../api/fleet.js";
import { Link, paths } from "../router.js";
import { Icon } from "../components/Icon.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { LoadingBlock } from "../components/Spinner.js";
import { EmptyState } from "../components/EmptyState.js";
import { usePromise } from "./usePromise.js";

const REFRESH_MS = 15_000;
// The kinds offered as lists across clusters below the table: those the overview counts (GET /kinds `views`).
const LISTED_VIEWS = ["overview", "overview_count"];

/** `ready / total` of a `{ready, total}` count, or "—" when the cluster could not count it. */
function readyOfTotal(count) {
  return count ? `${formatCount(count.ready)} / ${formatCount(count.total)}` : "—";
}

/** Requests against allocatable, e.g. "1.2 / 8 cores"; "—" when unknown. */
function requestsOfAllocatable(amount, format) {
  if (!amount || amount.requests === null || amount.requests === undefined) return "—";
  const allocatable = amount.allocatable === null || amount.allocatable === undefined ? "?" : format(amount.allocatable);
  return `${format(amount.requests)} / ${allocatable}`;
}

/** The figures of one row: a cluster's overview, or the totals (same shape). */
function Figures({ overview }) {
  return html`
    <td class="num">${readyOfTotal(overview.nodes)}</td>
    <td class="num">${readyOfTotal(overview.workloads?.pods)}</td>
    <td class="num">${readyOfTotal(overview.workloads?.deployments)}</td>
    <td class="num">${overview.counts?.namespaces === undefined ? "—" : formatCount(overview.counts.namespaces)}</td>
    <td class="num">${requestsOfAllocatable(overview.resources?.cpu, formatCores)}</td>
    <td class="num">${requestsOfAllocatable(overview.resources?.memory, formatBytes)}</td>`;
}

/**
 * @param {{clusters: object[], kinds: object[]}} props `clusters`: every cluster the user may see; `kinds`: a
 *   cluster's kind list (labels of the list links)
 */
export function FleetOverviewPage({ clusters, kinds }) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const overview = usePromise((signal) => overviewAcrossClusters({ signal }), [tick],
    { errorTitle: "Could not load the overview of all clusters", initial: null });
  const data = overview.data;
  const parts = data?.clusters ?? [];
  const answered = parts.filter((part) => part.code === 0).length;
  const listed = kinds.filter((kind) => LISTED_VIEWS.some((view) => kind.views?.includes(view)));

  return html`<div class="page page-fleet-overview">
    <div class="page-header">
      <div class="page-heading">
        <h1 class="page-title">All clusters</h1>
        ${data && html`<span class="count-badge" title="Clusters that answered / asked">${answered} / ${parts.length}</span>`}
      </div>
      <div class="page-subtitle">Each cluster as you may see it (your grants apply) · refreshed every ${REFRESH_MS / 1000} s</div>
      <div class="page-actions">
        <button type="button" class="button" onClick=${overview.reload}><${Icon} name="refresh" size=${14} /> Refresh</button>
      </div>
    </div>
    ${overview.loading && !data ? html`<${LoadingBlock} label="Asking every cluster…" />`
      : !data ? html`<${EmptyState} icon="alert" tone="error" title="The overview of all clusters is unavailable"
          action=${html`<button type="button" class="button" onClick=${overview.reload}>Try again</button>`}>${overview.error?.message}</${EmptyState}>`
      : html`<div class="card data-table-wrap">
        <table class="data-table fleet-overview-table" aria-label="Clusters">
          <thead><tr>
            <th>Cluster</th><th>Status</th><th class="num">Nodes ready</th><th class="num">Pods ready</th>
            <th class="num">Deployments ready</th><th class="num">Namespaces</th>
            <th class="num">CPU requests / allocatable</th><th class="num">Memory requests / allocatable</th>
          </tr></thead>
          <tbody>
            ${parts.map((part) => html`<tr key=${part.id} class=${cx(part.code !== 0 && "has-error")}>
              <td><${Link} href=${paths.overview(String(part.id))}>${part.name}</${Link}></td>
              ${part.code === 0
                ? html`<td><${StatusBadge} value="answered" tone="ok" /></td><${Figures} overview=${part.overview} />`
                : html`<td colspan="7"><${StatusBadge} value="error" tone="error" /> <span class="fleet-error" role="status">${part.message}</span></td>`}
            </tr>`)}
          </tbody>
          <tfoot><tr class="fleet-totals">
            <th scope="row">Total</th><td>${answered} of ${parts.length} answered</td><${Figures} overview=${data.totals} />
          </tr></tfoot>
        </table>
      </div>
      ${listed.length > 0 && html`<div class="fleet-lists" aria-label="Lists across clusters">
        ${listed.map((kind) => html`<${Link} key=${kind.name} class="button" href=${paths.fleet(kind.name)}>
          ${kindLabel(kind, kinds)} in all clusters</${Link}>`)}
      </div>`}`}
    ${clusters.length === 0 && html`<p class="muted">No clusters are configured.</p>`}
  </div>`;
}
