/** CPU and memory metrics: `/api/v1/clusters/{id}/metrics/...` (sampled by the server; see docs/api.md). */
import { get } from "./client.js";

const enc = encodeURIComponent;

/**
 * @typedef {{available: boolean, source: string|null, reason: string|null, sampledAt: number|null,
 *            intervalSeconds: number, nodeErrors: Record<string, string>}} MetricsStatus
 * @typedef {MetricsStatus & {kind: string, namespace: string|null, name: string, rangeSeconds: number,
 *            resolutionSeconds: number, points: {t: number[], cpu: (number|null)[], memory: (number|null)[]},
 *            requests: {cpu: number|null, memory: number|null}, limits: {cpu: number|null, memory: number|null}}} MetricsSeries
 */

/**
 * One object's CPU (cores) and memory (bytes) over the last `range` (e.g. "1h"); `namespace` for namespaced kinds.
 * @param {string|number} clusterId
 * @param {{resource: string, name: string, namespace?: string, range: string, signal?: AbortSignal}} options
 * @returns {Promise<MetricsSeries>}
 */
export function metricsSeries(clusterId, { resource, name, namespace, range, signal }) {
  const scope = namespace ? `namespaces/${enc(namespace)}/` : "";
  return get(`/clusters/${enc(clusterId)}/metrics/${scope}${enc(resource)}/${enc(name)}/series`,
    { query: { range }, signal });
}

/**
 * Current CPU (cores) and memory (bytes) of every object of a kind the caller may read (pods, nodes, namespaces or a
 * workload kind): `{kind, items: [{namespace, name, cpu, memory, cpuOfRequest, …}], ...MetricsStatus}`.
 * @param {string|number} clusterId
 * @param {string} resource
 * @param {{namespace?: string, signal?: AbortSignal}} [options] `namespace`: one, or several comma-separated
 * @returns {Promise<MetricsStatus & {kind: string, items: object[]}>}
 */
export function metricsCurrent(clusterId, resource, { namespace, signal } = {}) {
  return get(`/clusters/${enc(clusterId)}/metrics/${enc(resource)}`, { query: { namespace }, signal });
}
