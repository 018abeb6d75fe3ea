/**
 * Reads and writes of single objects, dry runs, YAML apply, batch actions and object events.
 * Every function resolves with the envelope's `data` and rejects with ApiError (see client.js).
 */
import { ApiError, del, get, post, put, request, Codes } from "./client.js";

const enc = encodeURIComponent;
const base = (clusterId) => `/clusters/${enc(clusterId)}`;
const objectPath = (clusterId, resource, name) => `${base(clusterId)}/resources/${enc(resource)}/${enc(name)}`;

/**
 * One object (managedFields removed; Secret values masked unless `reveal`).
 * @param {string} clusterId
 * @param {string} resource plural, e.g. "configmaps"
 * @param {string} name
 * @param {{namespace?: string, reveal?: boolean, signal?: AbortSignal}} [options]
 * @returns {Promise<object>}
 */
export function fetchObject(clusterId, resource, name, { namespace, reveal = false, signal } = {}) {
  return get(objectPath(clusterId, resource, name), { query: { namespace, reveal: reveal ? "true" : undefined }, signal });
}

/**
 * Replace an object (PUT). A stale metadata.resourceVersion fails with 40901.
 * @param {string|number} clusterId
 * @param {string} resource
 * @param {string} name
 * @param {object} object
 * @param {{namespace?: string}} [options]
 * @returns {Promise<object>} the stored object
 */
export function replaceObject(clusterId, resource, name, object, { namespace } = {}) {
  return put(objectPath(clusterId, resource, name), object, { query: { namespace } });
}

/**
 * Server-side dry run of a replace: what would change, and whether the API server accepts it.
 * @param {string|number} clusterId
 * @param {string} resource
 * @param {string} name
 * @param {object} object
 * @param {{namespace?: string}} [options]
 * @returns {Promise<{valid: boolean, message: string, current: object, proposed: object, diff: string,
 *                    causes: Array<{field: string, message: string, reason: string}>}>}
 */
export function dryRunReplace(clusterId, resource, name, object, { namespace } = {}) {
  return put(`${objectPath(clusterId, resource, name)}/dry-run`, object, { query: { namespace } });
}

/**
 * Delete one object.
 * @param {string|number} clusterId
 * @param {string} resource
 * @param {string} name
 * @param {{namespace?: string, propagationPolicy?: "Background"|"Foreground"|"Orphan", gracePeriodSeconds?: number}} [options]
 */
export function deleteObject(clusterId, resource, name, { namespace, propagationPolicy, gracePeriodSeconds } = {}) {
  return del(objectPath(clusterId, resource, name), { query: { namespace, propagationPolicy, gracePeriodSeconds } });
}

/**
 * Server-side apply of one or more YAML documents.
 * @param {string} clusterId
 * @param {{yaml: string, dryRun?: boolean, namespace?: string}} body
 * @returns {Promise<Array<{index: number, line: number, kind: string, apiVersion: string, namespace?: string,
 *                          name: string, code: number, message: string, causes?: object[]}>>}
 *   rejects with 42200 and data {line, column} when the YAML cannot be parsed
 */
export function applyYaml(clusterId, { yaml, dryRun = false, namespace }) {
  return post(`${base(clusterId)}/apply`, { yaml, dryRun, ...(namespace ? { namespace } : {}) });
}

/**
 * Delete up to 100 objects; each item reports its own code.
 * @param {Array<{resource: string, namespace?: string, name: string}>} items
 * @returns {Promise<Array<{resource: string, namespace?: string, name: string, code: number, message: string}>>}
 */
export function batchDelete(clusterId, items) {
  return post(`${base(clusterId)}/resources/batch-delete`, { items });
}

/**
 * Rolling-restart up to 100 workloads (deployments, statefulsets, daemonsets).
 * @param {Array<{kind: string, namespace: string, name: string}>} items `kind` is the plural resource
 * @returns {Promise<Array<{kind: string, namespace: string, name: string, code: number, message: string}>>}
 */
export function batchRestart(clusterId, items) {
  return post(`${base(clusterId)}/batch-restart`, { items });
}

/**
 * Objects of a kind as full objects (small lists: related objects of a detail page).
 * @param {string|number} clusterId
 * @param {string} resource
 * @param {{namespace?: string, labelSelector?: string, fieldSelector?: string, pageSize?: number, signal?: AbortSignal}} [options]
 * @returns {Promise<object[]>}
 */
export async function listObjects(clusterId, resource, { namespace, labelSelector, fieldSelector, pageSize = 100, signal } = {}) {
  const data = await get(`${base(clusterId)}/resources/${enc(resource)}`, {
    query: { namespace, labelSelector, fieldSelector, pageSize }, signal,
  });
  return Array.isArray(data) ? data : data?.items ?? [];
}

/**
 * Events about one object, newest first. Uses the events route (compact events: type, reason,
 * message, count, firstSeen, lastSeen, source) and falls back to listing Event objects with an
 * involvedObject field selector when the server lacks it.
 * @param {string|number} clusterId
 * @param {{namespace?: string, kind: string, name: string, uid?: string, signal?: AbortSignal}} target
 * @returns {Promise<object[]>}
 */
export async function objectEvents(clusterId, { namespace, kind, name, uid, signal }) {
  try {
    const data = await request("GET", `${base(clusterId)}/events`, { query: { namespace, kind, name, uid }, signal });
    return Array.isArray(data) ? data : data?.items ?? [];
  } catch (error) {
    if (!(error instanceof ApiError) || !/** @type {number[]} */ ([Codes.NOT_FOUND, Codes.PARAM_MISSING, Codes.PARAM_INVALID]).includes(error.code)) throw error;
  }
  const selector = [`involvedObject.name=${name}`, kind && `involvedObject.kind=${kind}`, uid && `involvedObject.uid=${uid}`]
    .filter(Boolean).join(",");
  const events = await listObjects(clusterId, "events", { namespace, fieldSelector: selector, pageSize: 500, signal });
  return events.sort((a, b) => eventTime(b) - eventTime(a));
}

/**
 * The most recent time of an Event (lastTimestamp, eventTime or creation), in ms.
 * @param {object} event
 * @returns {number}
 */
export function eventTime(event) {
  const value = event.lastSeen || event.lastTimestamp || event.eventTime || event.series?.lastObservedTime
    || event.firstSeen || event.firstTimestamp || event.metadata?.creationTimestamp;
  const time = Date.parse(value ?? "");
  return Number.isNaN(time) ? 0 : time;
}
