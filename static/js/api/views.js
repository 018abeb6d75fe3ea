/** Cross-kind read views: overview, search, topology, events (see docs/operations.md "Views"). */
import { get } from "./client.js";

const enc = encodeURIComponent;

/**
 * Overview figures of a cluster: counts, workloads readiness, nodes, resources, podPhases, warnings.
 * @param {string|number} clusterId
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<object>}
 */
export function getOverview(clusterId, { signal } = {}) {
  return get(`/clusters/${enc(clusterId)}/overview`, { signal });
}

/**
 * Ranked search across kinds.
 * @param {string|number} clusterId
 * @param {string} q
 * @param {{kinds?: string, limit?: number, namespace?: string, signal?: AbortSignal}} [options] `namespace`: its
 *   matches are ranked first
 * @returns {Promise<Array<{kind: string, name: string, namespace?: string, score: number, matchedOn: string, status?: string}>>}
 */
export function search(clusterId, q, { kinds, limit = 8, namespace, signal } = {}) {
  return get(`/clusters/${enc(clusterId)}/search`, { query: { q, kinds, limit, namespace }, signal });
}

/**
 * The object graph of one namespace.
 * @param {string|number} clusterId
 * @param {string} namespace
 * @param {{budget?: number, signal?: AbortSignal}} [options]
 * @returns {Promise<{namespace: string, nodes: object[], edges: object[], collapsed: string[], podCount: number, skipped: string[]}>}
 */
export function getTopology(clusterId, namespace, { budget, signal } = {}) {
  return get(`/clusters/${enc(clusterId)}/namespaces/${enc(namespace)}/topology`, { query: { budget }, signal });
}

/**
 * Events, newest first.
 * @param {string|number} clusterId
 * @param {{namespace?: string, kind?: string, name?: string, type?: string, limit?: number, signal?: AbortSignal}} [options]
 */
export function listEvents(clusterId, { namespace, kind, name, type, limit, signal } = {}) {
  return get(`/clusters/${enc(clusterId)}/events`, { query: { namespace, kind, name, type, limit }, signal });
}
