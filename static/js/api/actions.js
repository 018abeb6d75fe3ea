/** Workload and node actions (docs/operations.md "Actions"); each resolves with the envelope's data. */
import { get, post, put } from "./client.js";

const enc = encodeURIComponent;
const workload = (clusterId, namespace, resource, name) =>
  `/clusters/${enc(clusterId)}/namespaces/${enc(namespace)}/${enc(resource)}/${enc(name)}`;

/** Set spec.replicas through the scale subresource. */
export function scaleWorkload(clusterId, namespace, resource, name, replicas) {
  return put(`${workload(clusterId, namespace, resource, name)}/scale`, { replicas });
}

/** Rolling restart (kubectl rollout restart). */
export function restartWorkload(clusterId, namespace, resource, name) {
  return post(`${workload(clusterId, namespace, resource, name)}/restart`);
}

/**
 * Rollout history of a deployment, newest first.
 * @returns {Promise<Array<{revision: number, changeCause?: string, images: string[], createdAt: string,
 *   current: boolean, replicaSet: string, replicas?: number, readyReplicas?: number}>>}
 * @param {string|number} clusterId
 * @param {string} namespace
 * @param {string} name
 * @param {{signal?: AbortSignal}} [options]
 */
export function deploymentHistory(clusterId, namespace, name, { signal } = {}) {
  return get(`${workload(clusterId, namespace, "deployments", name)}/history`, { signal });
}

/** Put back the pod template of `revision`. */
export function rollbackDeployment(clusterId, namespace, name, revision) {
  return post(`${workload(clusterId, namespace, "deployments", name)}/rollback`, { revision });
}

/** Pause (true) or resume (false) a deployment's rollout. */
export function setDeploymentPaused(clusterId, namespace, name, paused) {
  return post(`${workload(clusterId, namespace, "deployments", name)}/${paused ? "pause" : "resume"}`);
}

/** Create a Job from a CronJob now; resolves with {job, ...}. */
export function triggerCronJob(clusterId, namespace, name) {
  return post(`${workload(clusterId, namespace, "cronjobs", name)}/trigger`);
}

/** Cordon (true) or uncordon (false) a node. */
export function setNodeCordoned(clusterId, name, cordoned) {
  return post(`/clusters/${enc(clusterId)}/nodes/${enc(name)}/${cordoned ? "cordon" : "uncordon"}`);
}

/**
 * Drain a node (kubectl drain): cordon, then evict its pods. With `dryRun` resolves with the plan; otherwise
 * with the report once the pods are gone (40901 with the report in `error.data` when some could not be evicted).
 * @param {string|number} clusterId
 * @param {string} name
 * @param {{dryRun?: boolean, ignoreDaemonSets?: boolean, deleteEmptyDirData?: boolean, force?: boolean,
 *          gracePeriodSeconds?: number|null, timeoutSeconds?: number}} options
 */
export function drainNode(clusterId, name, options) {
  return post(`/clusters/${enc(clusterId)}/nodes/${enc(name)}/drain`, options);
}

/**
 * The newest drain of a node as it stands (live progress while it runs).
 * @param {string|number} clusterId
 * @param {string} name
 * @param {{signal?: AbortSignal}} [options]
 */
export function drainProgress(clusterId, name, { signal } = {}) {
  return get(`/clusters/${enc(clusterId)}/nodes/${enc(name)}/drain`, { signal });
}

/**
 * A pod's env and envFrom per container, values resolved by the server (Secret values masked unless `reveal`).
 * @returns {Promise<{containers: Array<{name: string, type: string, env: object[], envFrom: object[]}>,
 *   mayReveal: boolean, revealed: boolean}>}
 * @param {string|number} clusterId
 * @param {string} namespace
 * @param {string} name
 * @param {{reveal?: boolean, signal?: AbortSignal}} [options]
 */
export function podEnvironment(clusterId, namespace, name, { reveal = false, signal } = {}) {
  return get(`${workload(clusterId, namespace, "pods", name)}/environment${reveal ? "?reveal=true" : ""}`, { signal });
}
