/**
 * Topology of one namespace (GET …/namespaces/{ns}/topology): objects laid out by kind column, pods
 * of busy owners grouped (click a group to expand it), click any object to open its detail page.
 */
import { html, useMemo, useState } from "../lib/ui.js";
import { findKind } from "../lib/kinds.js";
import { groupPods, layoutGraph } from "../lib/topologyLayout.js";
import { getTopology } from "../api/views.js";
import { ALL_NAMESPACES, navigate, paths } from "../router.js";
import { TopologyGraph } from "../components/TopologyGraph.js";
import { ToggleButton } from "../components/ToggleButton.js";
import { LoadingBlock } from "../components/Spinner.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { FavoriteToggle } from "./FavoriteToggle.js";
import { usePromise } from "./usePromise.js";

const LEGEND = [["routes", "routes to"], ["selects", "selects"], ["owns", "owns"], ["mounts", "mounts"], ["binds", "binds"]];

/**
 * @param {{clusterId: string, namespace: string, kinds: object[]}} props
 */
export function TopologyPage({ clusterId, namespace, kinds }) {
  const [grouped, setGrouped] = useState(true);
  const [expanded, setExpanded] = useState(() => new Set());
  const enabled = namespace && namespace !== ALL_NAMESPACES;
  const topology = usePromise((signal) => getTopology(clusterId, namespace, { signal }), [clusterId, namespace], {
    errorTitle: "Could not load the topology", initial: null, enabled,
  });
  const graph = useMemo(() => {
    const data = topology.data;
    if (!data) return null;
    const base = { nodes: data.nodes ?? [], edges: data.edges ?? [] };
    return grouped ? groupPods(base, { expanded }) : base;
  }, [topology.data, grouped, expanded]);
  const layout = useMemo(() => (graph ? layoutGraph(graph) : null), [graph]);

  const open = (node) => {
    if (node.kind === "PodGroup") {
      if (node.local) setExpanded((prev) => new Set([...prev, node.owner]));
      else navigate(paths.list(clusterId, namespace, "pods"));
      return;
    }
    const kind = findKind(kinds, "", node.kind);
    if (!kind) return;
    navigate(paths.detail(clusterId, kind.namespaced === false ? ALL_NAMESPACES : node.namespace || namespace, kind.name, node.name));
  };

  return html`<div class="page page-topology">
    <div class="page-header">
      <div class="page-heading">
        <h1 class="page-title">Topology</h1>
        ${enabled && html`<span class="chip">${namespace}</span>`}
        ${enabled && html`<${FavoriteToggle} path=${paths.topology(clusterId, namespace)} title=${`Topology of ${namespace}`}
          cluster=${clusterId} namespace=${namespace} />`}
      </div>
      <div class="page-subtitle">How the objects of a namespace route to, own, select and mount each other. Drag to pan, scroll to zoom.</div>
      ${enabled && html`<div class="page-actions">
        <${ToggleButton} pressed=${grouped} onChange=${(v) => { setGrouped(v); setExpanded(new Set()); }} label="Group pods" icon="layers" />
        <button type="button" class="button" onClick=${topology.reload}><${Icon} name="refresh" size=${14} /> Refresh</button>
      </div>`}
    </div>
    ${!enabled ? html`<${EmptyState} icon="share" title="Pick a namespace">The topology shows one namespace at a time: choose one in the namespace picker above.</${EmptyState}>`
      : topology.loading && !graph ? html`<${LoadingBlock} label="Loading the topology…" />`
      : !graph ? html`<${EmptyState} icon="alert" tone="error" title="The topology is unavailable"
          action=${html`<button type="button" class="button" onClick=${topology.reload}>Try again</button>`}>${topology.error?.message}</${EmptyState}>`
      : graph.nodes.length === 0 ? html`<${EmptyState} icon="share" title="Nothing here yet">This namespace has no workloads, services or config to draw.</${EmptyState}>`
      : html`<div class="card card-flush topo-card-wrap">
          <${TopologyGraph} nodes=${graph.nodes} edges=${graph.edges} layout=${layout} onOpen=${open} label=${`Topology of ${namespace}`} />
          <div class="topo-footer">
            <ul class="topo-legend">${LEGEND.map(([type, text]) => html`<li key=${type}><svg width="26" height="8" aria-hidden="true">
              <path d="M1 4H25" class=${`topo-edge topo-edge-${type}`} /></svg>${text}</li>`)}</ul>
            <span class="muted small">${graph.nodes.length} objects · ${topology.data.podCount ?? 0} pods${(topology.data.skipped ?? []).length ? ` · some kinds could not be read` : ""}</span>
          </div>
        </div>`}
  </div>`;
}
