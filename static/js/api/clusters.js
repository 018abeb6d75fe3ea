/** Cluster, kind and resource-list reads used by the workspace pages. */
import { get } from "./client.js";

/** @returns {Promise<Array<{id: number, name: string, server: string, source: string, status: string, version: string}>>} */
export function listClusters(options) {
  return get("/clusters", options);
}

/**
 * Resource kinds of a cluster (built-ins and CRDs): what each is and can do, and what the user may do with it
 * (`allowed`) in `namespace` (all namespaces when empty).
 * @param {string|number} clusterId
 * @param {{namespace?: string, signal?: AbortSignal}} [options]
 */
export function listKinds(clusterId, { namespace, signal } = {}) {
  return get(`/clusters/${encodeURIComponent(clusterId)}/kinds`, { query: { namespace }, signal });
}

/** Namespace names of a cluster, sorted. */
export async function listNamespaceNames(clusterId, options) {
  const { data } = await get(`/clusters/${encodeURIComponent(clusterId)}/resources/namespaces`, {
    ...options,
    query: { view: "table", pageSize: 1000 },
    withMeta: true,
  });
  return (data?.rows ?? []).map((row) => row.name).sort((a, b) => a.localeCompare(b));
}

/**
 * One page of a resource list in table view.
 * @param {string|number} clusterId
 * @param {string} resource plural name, e.g. "pods"
 * @param {{namespace?: string, labelSelector?: string, q?: string, sort?: string, page?: number, pageSize?: number,
 *          signal?: AbortSignal}} [params]
 * @returns {Promise<{data: {columns: Array<{name: string, type?: string}>, rows: Array<object>},
 *                    meta: {total?: number, source?: string, stale?: boolean, requestId: string}}>}
 */
export function listResourceTable(clusterId, resource, { namespace, labelSelector, q, sort, page = 1, pageSize = 1000, signal } = {}) {
  return get(`/clusters/${encodeURIComponent(clusterId)}/resources/${encodeURIComponent(resource)}`, {
    query: { namespace, labelSelector, q, sort, page, pageSize, view: "table" },
    signal,
    withMeta: true,
  });
}

/**
 * One object's row of its kind's table (`view=table`, the server's printer columns), read as a list of that one name.
 * @param {string|number} clusterId
 * @param {string} resource
 * @param {string} name
 * @param {{namespace?: string, signal?: AbortSignal}} [options]
 * @returns {Promise<{columns: Array<{id?: string, name: string, type?: string}>, row: object|null}>}
 */
export async function fetchTableRow(clusterId, resource, name, { namespace, signal } = {}) {
  const table = await get(`/clusters/${encodeURIComponent(clusterId)}/resources/${encodeURIComponent(resource)}`, {
    query: { namespace, fieldSelector: `metadata.name=${name}`, view: "table" },
    signal,
  });
  return { columns: table?.columns ?? [], row: table?.rows?.find((row) => row.name === name) ?? null };
}

/**
 * One full object (managedFields removed by the server).
 * @param {string|number} clusterId
 * @param {string} resource
 * @param {string} name
 * @param {{namespace?: string, signal?: AbortSignal}} [options]
 */
export function getResource(clusterId, resource, name, { namespace, signal } = {}) {
  return get(
    `/clusters/${encodeURIComponent(clusterId)}/resources/${encodeURIComponent(resource)}/${encodeURIComponent(name)}`,
    { query: { namespace }, signal },
  );
}

/** Overview figures of a cluster (shape owned by the backend; rendered defensively). */
export function getOverview(clusterId, options) {
  return get(`/clusters/${encodeURIComponent(clusterId)}/overview`, options);
}
