/** The Metrics tab: CPU and memory of this pod, node, workload or namespace over time (kinds with the `metrics`
 * capability in GET /kinds). */
import { html } from "../../lib/ui.js";
import { MetricsChart } from "../../components/MetricsChart.js";

/** The server keeps a pod's history for this long (full resolution only); other kinds go back 7 days. */
const POD_HISTORY_S = 60 * 60;

/**
 * @param {{clusterId: string, resource: string, name: string, namespace?: string, kind: {name?: string}}} props
 */
export function MetricsTab({ clusterId, resource, name, namespace, kind }) {
  const maxRangeSeconds = kind?.name === "pods" ? POD_HISTORY_S : Infinity;
  return html`<${MetricsChart} clusterId=${clusterId} resource=${resource} name=${name} namespace=${namespace}
    maxRangeSeconds=${maxRangeSeconds} />`;
}
