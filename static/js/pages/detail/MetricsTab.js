/** The Metrics tab: CPU, memory, network and restarts of this pod, node, workload or namespace over time (kinds with
 * the `metrics` capability in GET /kinds). How far back each series goes is the server's answer (`maxRangeSeconds`). */
import { html } from "../../lib/ui.js";
import { MetricsChart } from "../../components/MetricsChart.js";

/**
 * @param {{clusterId: string, resource: string, name: string, namespace?: string}} props
 */
export function MetricsTab({ clusterId, resource, name, namespace }) {
  return html`<${MetricsChart} clusterId=${clusterId} resource=${resource} name=${name} namespace=${namespace} />`;
}
