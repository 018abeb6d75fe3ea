/** CPU and memory metrics: `/api/v1/clusters/{id}/metrics/...` (sampled by the server; see docs/api.md). */
import { get, post } from "./client.js";

const enc = encodeURIComponent;

/**
 * @typedef {{available: boolean, source: string|null, reason: string|null, sampledAt: number|null,
 *            intervalSeconds: number, nodeErrors: Record<string, string>}} MetricsStatus
 * @typedef {{rxBytesPerSecond: number|null, txBytesPerSecond: number|null}} NetworkRates
 * @typedef {MetricsStatus & {kind: string, namespace: string|null, name: string, rangeSeconds: number,
 *            resolutionSeconds: number,
 *            maxRangeSeconds: {cpu: number, memory: number, network: number, restarts: number},
 *            points: {t: number[], cpu: (number|null)[], memory: (number|null)[],
 *                     rxBytesPerSecond: (number|null)[]|null, txBytesPerSecond: (number|null)[]|null,
 *                     restarts: (number|null)[]|null},
 *            requests: {cpu: number|null, memory: number|null}, limits: {cpu: number|null, memory: number|null},
 *            network: NetworkRates, restarts: number|null}} MetricsSeries
 *   `maxRangeSeconds`: how far back each series goes; a `points` column beyond it is null.
 * @typedef {{cpu: object[], memory: object[]}} Busiest
 * @typedef {MetricsStatus & {limit: number, pods: Busiest|null, nodes: Busiest|null}} MetricsTop
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

/**
 * The current values of the named objects only (what `metricsCurrent` answers for them): `names` are row keys,
 * "namespace/name" ("/name" for nodes and namespaces), at most 5,000; objects the caller may not see, or without a
 * value this round, are absent.
 * @param {string|number} clusterId
 * @param {string} resource
 * @param {string[]} names
 * @param {{namespace?: string, signal?: AbortSignal}} [options]
 * @returns {Promise<MetricsStatus & {kind: string, items: object[]}>}
 */
export function metricsOf(clusterId, resource, names, { namespace, signal } = {}) {
  return post(`/clusters/${enc(clusterId)}/metrics/${enc(resource)}`, { names }, { query: { namespace }, signal });
}

/**
 * The busiest pods and nodes by CPU and by memory (`limit` of each): pods of the namespaces the caller may read,
 * `nodes` null unless they may read nodes, `pods` null unless they may read pods.
 * @param {string|number} clusterId
 * @param {{limit?: number, signal?: AbortSignal}} [options]
 * @returns {Promise<MetricsTop>}
 */
export function metricsTop(clusterId, { limit, signal } = {}) {
  return get(`/clusters/${enc(clusterId)}/metrics/top`, { query: { limit }, signal });
}
