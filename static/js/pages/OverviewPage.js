/**
 * Cluster overview dashboard: workload readiness and node cards, capacity bars (CPU and memory
 * requests / limits / usage against allocatable), a pod-phase donut, the newest warning events
 * (linked to their objects), Helm releases (a count, the failed, pending and unreadable ones named), the busiest
 * pods and nodes by CPU and by memory (GET /metrics/top, refreshed every sampler round; the server's reason when no
 * metrics source works) and, when a namespace is picked, that namespace's object counts.
 */
import { html, cx, useEffect, useState } from "../lib/ui.js";
import { formatBytes, formatCores, formatCount } from "../lib/format.js";
import { findKind, kindLabel, kindsInView } from "../lib/kinds.js";
import { getOverview } from "../api/views.js";
import { listResourceTable } from "../api/clusters.js";
import { metricsTop } from "../api/metrics.js";
import { ALL_NAMESPACES, Link, paths } from "../router.js";
import { Icon } from "../components/Icon.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { LoadingBlock, Spinner } from "../components/Spinner.js";
import { EmptyState } from "../components/EmptyState.js";
import { Age } from "../components/Age.js";
import { CapacityBar, Donut } from "../components/charts.js";
import { kindCan } from "../lib/permissions.js";
import { usePromise } from "./usePromise.js";

const HEALTH_TONES = { healthy: "ok", unreachable: "error", unknown: "" };
/** How many of the busiest pods and nodes the overview lists, by CPU and by memory. */
const BUSIEST_LIMIT = 10;
/** Refresh period of the busiest lists until the server has said its sampler interval. */
const BUSIEST_REFRESH_S = 15;
/**
 * The measures the busiest lists rank by: the field of `GET /metrics/top`, its word in a title, its format.
 * @type {Array<[string, string, (value: number) => string]>}
 */
const BUSIEST_BY = [["cpu", "CPU", formatCores], ["memory", "memory", formatBytes]];
const PHASES = [["Running", "ok"], ["Pending", "warn"], ["Succeeded", "info"], ["Failed", "error"], ["Unknown", "muted"]];

/**
 * @param {{clusterId: string, cluster?: object, kinds: object[], namespace: string}} props
 */
export function OverviewPage({ clusterId, cluster, kinds, namespace }) {
  const overview = usePromise((signal) => getOverview(clusterId, { signal }), [clusterId], {
    errorTitle: "Could not load the cluster overview", initial: null,
  });
  const data = overview.data;
  return html`<div class="page page-overview">
    <div class="page-header">
      <div class="page-heading">
        <h1 class="page-title">${cluster?.name ?? `Cluster ${clusterId}`}</h1>
        ${cluster && html`<${StatusBadge} value=${cluster.status ?? "unknown"} tone=${HEALTH_TONES[cluster.status] ?? ""} />`}
      </div>
      <div class="page-subtitle">
        ${cluster?.server && html`<span class="mono">${cluster.server}</span>`}
        ${cluster?.version && html` · Kubernetes ${cluster.version}`}
        ${data?.scope === "namespaces" && html` · figures for your namespaces only`}
      </div>
      <div class="page-actions">
        <button type="button" class="button" onClick=${overview.reload}><${Icon} name="refresh" size=${14} /> Refresh</button>
      </div>
    </div>
    ${overview.loading && !data ? html`<${LoadingBlock} label="Loading the overview…" />`
      : !data ? html`<${EmptyState} icon="alert" tone="error" title="The overview is unavailable"
          action=${html`<button type="button" class="button" onClick=${overview.reload}>Try again</button>`}>${overview.error?.message}</${EmptyState}>`
      : html`<${Dashboard} data=${data} clusterId=${clusterId} kinds=${kinds} namespace=${namespace} />`}
  </div>`;
}

function Dashboard({ data, clusterId, kinds, namespace }) {
  const workloads = data.workloads ?? {};
  const counts = data.counts ?? {};
  const nodes = data.nodes;
  const phases = data.podPhases ?? {};
  const phaseTotal = Object.values(phases).reduce((a, b) => a + (b ?? 0), 0);
  const releases = data.releases;
  const releaseKind = findKind(kinds, "helm.sh/v1", "Release");
  return html`
    <section class="stat-grid" aria-label="Workloads">
      ${nodes && html`<${Link} class="card stat-card" href=${paths.list(clusterId, ALL_NAMESPACES, "nodes")}>
        <div class="stat-card-label"><${Icon} name="server" size=${14} /> Nodes</div>
        <div class="stat-card-value">${nodes.ready}<span class="stat-card-total">/${nodes.total}</span></div>
        <div class="stat-card-note">${readyNote(nodes.ready, nodes.total)}${nodes.unschedulable ? html` · <span class="text-warn">${nodes.unschedulable} cordoned</span>` : ""}</div>
      </${Link}>`}
      ${kindsInView(kinds, "overview").filter(({ name }) => workloads[name] || counts[name] !== undefined).map((entry) => {
        const kind = entry.name;
        const w = workloads[kind];
        return html`<${Link} key=${kind} class="card stat-card" href=${paths.list(clusterId, namespace, kind)}>
          <div class="stat-card-label">${kindLabel(entry)}</div>
          ${w ? html`<div class="stat-card-value">${formatCount(w.ready)}<span class="stat-card-total">/${formatCount(w.total)}</span></div>
              <div class="stat-card-note">${readyNote(w.ready, w.total, kind === "cronjobs" ? "active schedules" : "ready")}</div>`
            : html`<div class="stat-card-value">${formatCount(counts[kind] ?? 0)}</div><div class="stat-card-note muted">total</div>`}
        </${Link}>`;
      })}
      ${kindsInView(kinds, "overview_count").filter((k) => k.name !== "nodes" && counts[k.name] !== undefined).map((kind) => html`<${Link} key=${kind.name}
          class="card stat-card" href=${paths.list(clusterId, kind.namespaced === false ? ALL_NAMESPACES : namespace, kind.name)}>
        <div class="stat-card-label">${kindLabel(kind)}</div>
        <div class="stat-card-value">${formatCount(counts[kind.name])}</div>
        <div class="stat-card-note muted">total</div>
      </${Link}>`)}
      ${releases && releaseKind && html`<${Link} class="card stat-card" href=${paths.list(clusterId, namespace, releaseKind.name)}>
        <div class="stat-card-label">Helm releases</div>
        <div class="stat-card-value">${formatCount(releases.total)}</div>
        <div class="stat-card-note">${releases.attentionTotal ? html`<span class="text-warn">${formatCount(releases.attentionTotal)} failed or pending</span>`
          : html`<span class="muted">none failed or pending</span>`}</div>
      </${Link}>`}
    </section>
    ${releases?.attention?.length > 0 && releaseKind && html`<${ReleasesAttention} releases=${releases} clusterId=${clusterId} kind=${releaseKind} />`}
    <div class="overview-columns">
      <section class="card" aria-labelledby="capacity-title">
        <h2 class="card-title" id="capacity-title">Capacity</h2>
        <${Capacity} resources=${data.resources ?? {}} metrics=${data.metricsAvailable} reason=${data.metrics?.reason} />
      </section>
      <section class="card" aria-labelledby="phases-title">
        <h2 class="card-title" id="phases-title">Pod phases</h2>
        <${Donut} caption="pods" centre=${formatCount(phaseTotal)}
          parts=${PHASES.map(([phase, tone]) => ({ key: phase, label: phase, value: phases[phase] ?? 0, tone }))} />
      </section>
    </div>
    <${Busiest} clusterId=${clusterId} kinds=${kinds} />
    ${namespace && namespace !== ALL_NAMESPACES && html`<${NamespaceSummary} clusterId=${clusterId} namespace=${namespace} kinds=${kinds} />`}
    <section class="card card-flush" aria-labelledby="warnings-title">
      <div class="section-header"><h2 class="card-title" id="warnings-title"><${Icon} name="alert" size=${15} /> Recent warnings</h2></div>
      <${Warnings} events=${data.warnings ?? []} clusterId=${clusterId} kinds=${kinds} />
    </section>`;
}

function ReleasesAttention({ releases, clusterId, kind }) {
  return html`<section class="card card-flush" aria-labelledby="releases-title">
    <div class="section-header"><h2 class="card-title" id="releases-title"><${Icon} name="alert" size=${15} /> Helm releases failed or pending</h2></div>
    <ul class="event-feed" aria-label="Helm releases failed or pending">${releases.attention.map((r) => html`<li key=${`${r.namespace}/${r.name}`} class="event-item">
      <span class="event-reason"><${StatusBadge} value=${r.error ? "unreadable" : r.status} /></span>
      <div class="event-body">
        <div class="event-object"><${Link} href=${paths.detail(clusterId, r.namespace, kind.name, r.name)}>${r.namespace}/${r.name}</${Link}>
          <span class="chip">revision ${r.revision}</span></div>
        <div class="event-message">${r.error || r.chart || "—"}</div>
      </div>
      <span class="event-age muted">${r.updated ? html`<${Age} value=${r.updated} suffix=" ago" />` : ""}</span>
    </li>`)}</ul>
    ${releases.attentionTotal > releases.attention.length && html`<p class="small muted">The ${releases.attention.length} most recent of ${formatCount(releases.attentionTotal)}.</p>`}
  </section>`;
}

function readyNote(ready, total, word = "ready") {
  if (!total) return html`<span class="muted">none</span>`;
  const down = total - ready;
  return down > 0 ? html`<span class="text-warn">${down} not ${word === "ready" ? "ready" : "active"}</span>` : html`<span class="text-ok">all ${word}</span>`;
}

function Capacity({ resources, metrics, reason }) {
  const { cpu = {}, memory = {}, pods = {} } = resources;
  const rows = [
    ["CPU requests", cpu.requests, cpu.allocatable, formatCores, cpu.limits, "limits"],
    ["CPU limits", cpu.limits, cpu.allocatable, formatCores],
    ["Memory requests", memory.requests, memory.allocatable, formatBytes, memory.limits, "limits"],
    ["Memory limits", memory.limits, memory.allocatable, formatBytes],
  ];
  if (metrics) {
    rows.splice(2, 0, ["CPU usage", cpu.usage, cpu.allocatable, formatCores]);
    rows.push(["Memory usage", memory.usage, memory.allocatable, formatBytes]);
  }
  const podCount = pods?.requests ?? null;
  if (typeof podCount === "number") rows.push(["Pods", podCount, pods.allocatable ?? null, formatCount]);
  const noNodes = cpu.allocatable === null || cpu.allocatable === undefined;
  return html`<div class="capacity-list">
    ${rows.map(([label, value, max, format, marker, markerLabel]) => html`<${CapacityBar} key=${label} label=${label}
      value=${value ?? null} max=${max ?? null} format=${format} marker=${marker ?? null} markerLabel=${markerLabel ?? ""} />`)}
    <p class="small muted">${noNodes ? "Node capacity is not visible to your account; figures are sums over your pods."
      : "Sums over scheduled, unfinished pods against the nodes' allocatable resources."}${metrics ? "" : ` No usage: ${reason ?? "the first metrics round has not ended yet"}.`}</p>
  </div>`;
}

/**
 * The busiest pods and nodes by CPU and by memory, linked to their pages; pods only of the namespaces the user may
 * read, nodes only when they may read nodes (the server decides: a list it leaves out is null).
 * @param {{clusterId: string, kinds: object[]}} props
 */
function Busiest({ clusterId, kinds }) {
  const [state, setState] = useState({ top: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    let timer = null;
    const load = async () => {
      let refreshS = BUSIEST_REFRESH_S;
      try {
        const top = await metricsTop(clusterId, { limit: BUSIEST_LIMIT, signal: controller.signal });
        refreshS = top.intervalSeconds || BUSIEST_REFRESH_S;
        setState({ top, error: null });
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((prev) => ({ top: prev.top, error }));
      }
      if (!controller.signal.aborted) timer = setTimeout(load, refreshS * 1000);
    };
    load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [clusterId]);

  const { top, error } = state;
  if (top && !top.pods && !top.nodes) return null; // the user may read neither
  let body;
  if (!top) {
    body = error ? html`<p class="text-error">${error.message}</p>`
      : html`<div class="loading-inline"><${Spinner} size="sm" inline /> Loading metrics…</div>`;
  } else if (!top.available) {
    body = html`<p class="muted busiest-unavailable">Metrics are not available for this cluster: ${top.reason}</p>`;
  } else {
    // One list per kind the server ranked (`top` is keyed by the kind's name) and per measure.
    const ranked = (kinds ?? []).filter((kind) => kind.builtin && kindCan(kind, "metrics") && top[kind.name]);
    const lists = ranked.flatMap((kind) => BUSIEST_BY.map(([field, word, format]) =>
      [`${kindLabel(kind, kinds)} by ${word}`, top[kind.name][field], field, format, kind.name]));
    body = html`<div class="busiest-grid">${lists.map(([title, items, field, format, resource]) => html`
      <${BusiestList} key=${title} title=${title} items=${items} field=${field} format=${format}
        resource=${resource} clusterId=${clusterId} />`)}</div>`;
  }
  return html`<section class="card" aria-labelledby="busiest-title">
    <h2 class="card-title" id="busiest-title">Busiest</h2>
    ${body}
  </section>`;
}

function BusiestList({ title, items, field, format, resource, clusterId }) {
  const highest = items[0]?.[field] || 0;
  return html`<div class="busiest-list">
    <h3 class="busiest-title">${title}</h3>
    ${items.length === 0 ? html`<p class="small muted">No samples yet.</p>`
      : html`<ol aria-label=${title}>${items.map((item) => {
        const label = item.namespace ? `${item.namespace}/${item.name}` : item.name;
        const href = paths.detail(clusterId, item.namespace || ALL_NAMESPACES, resource, item.name);
        return html`<li key=${label} class="busiest-item">
          <${Link} href=${href} class="busiest-name mono" title=${label}>${label}</${Link}>
          <span class="busiest-value">${format(item[field])}</span>
          <span class="busiest-bar" aria-hidden="true"><span class=${`busiest-fill busiest-fill-${Math.round(10 * (item[field] || 0) / (highest || 1))}`}></span></span>
        </li>`;
      })}</ol>`}
  </div>`;
}

function Warnings({ events, clusterId, kinds }) {
  if (!events.length) return html`<div class="empty-inline"><${Icon} name="check" size=${15} class="text-ok" /> No warning events.</div>`;
  return html`<ul class="event-feed">
    ${events.map((event, i) => {
      const obj = event.involvedObject ?? {};
      const kind = findKind(kinds, obj.apiVersion ?? "", obj.kind);
      const href = kind && obj.name ? paths.detail(clusterId, kind.namespaced === false ? ALL_NAMESPACES : obj.namespace, kind.name, obj.name) : null;
      const label = `${obj.kind ?? "Object"} ${obj.namespace ? `${obj.namespace}/` : ""}${obj.name ?? ""}`;
      return html`<li key=${`${event.name}-${i}`} class="event-item">
        <span class="event-reason">${event.reason}</span>
        <div class="event-body">
          <div class="event-object">${href ? html`<${Link} href=${href}>${label}</${Link}>` : label}
            ${event.count > 1 && html`<span class="chip">×${event.count}</span>`}</div>
          <div class="event-message">${event.message}</div>
        </div>
        <span class="event-age muted"><${Age} value=${event.lastSeen ?? event.firstSeen} suffix=" ago" /></span>
      </li>`;
    })}
  </ul>`;
}

function NamespaceSummary({ clusterId, namespace, kinds }) {
  const counted = kindsInView(kinds, "namespace_summary");
  const counts = usePromise(async (signal) => {
    const entries = await Promise.all(counted.map(async ({ name: resource }) => {
      try {
        const { data, meta } = await listResourceTable(clusterId, resource, { namespace, pageSize: 1, signal });
        return [resource, meta?.total ?? data?.rows?.length ?? 0];
      } catch (error) {
        if (error?.name === "AbortError") throw error;
        return [resource, null];
      }
    }));
    return Object.fromEntries(entries);
  }, [clusterId, namespace, counted.map((kind) => kind.name).join()], { errorTitle: "Could not count the namespace's objects", initial: null });
  return html`<section class="card" aria-labelledby="ns-title">
    <div class="section-header">
      <h2 class="card-title" id="ns-title">Namespace <span class="mono">${namespace}</span></h2>
      <${Link} class="button button-ghost" href=${paths.topology(clusterId, namespace)}><${Icon} name="share" size=${14} /> Topology</${Link}>
    </div>
    ${!counts.data ? html`<div class="loading-inline"><${Spinner} size="sm" inline /> Counting…</div>`
      : html`<dl class="ns-counts">${counted.filter(({ name }) => counts.data[name] !== null && counts.data[name] !== undefined).map((kind) => html`
          <div key=${kind.name} class=${cx("ns-count")}><dt><${Link} href=${paths.list(clusterId, namespace, kind.name)}>${kindLabel(kind)}</${Link}></dt>
            <dd>${formatCount(counts.data[kind.name])}</dd></div>`)}</dl>`}
  </section>`;
}
