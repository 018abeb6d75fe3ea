/** Reads across several clusters (docs/api.md "Several clusters at once"). */
import { get } from "./client.js";

/**
 * One page of a kind's table across clusters: `{columns, rows, clusters}` with a Cluster column first and each
 * row's `cluster` id; `clusters` has each cluster's total or error. Resolves `{data, meta}`.
 * @param {string} resource
 * @param {{clusters?: string, namespace?: string, q?: string, labelSelector?: string, sort?: string,
 *          pageSize?: number, signal?: AbortSignal}} [options] `clusters`: ids comma-separated (none: all)
 * @returns {Promise<{data: {columns: object[], rows: object[], clusters: object[]}, meta: object}>}
 */
export function listAcrossClusters(resource, { clusters, namespace, q, labelSelector, sort, pageSize = 1000, signal } = {}) {
  return get(`/resources/${encodeURIComponent(resource)}`, {
    query: { clusters, namespace, q, labelSelector, sort, pageSize, view: "table" },
    signal,
    withMeta: true,
  });
}

/**
 * Each cluster's overview (or its error) and the totals over those that answered.
 * @param {{clusters?: string, signal?: AbortSignal}} [options] `clusters`: ids comma-separated (none: all)
 * @returns {Promise<{clusters: object[], totals: object}>}
 */
export function overviewAcrossClusters({ clusters, signal } = {}) {
  return get("/overview", { query: { clusters }, signal });
}
