/** Helm releases: detail, history, diff, rollback and uninstall of one release (see docs/api.md). */
import { del, get, post } from "./client.js";

const enc = encodeURIComponent;
const release = (clusterId, namespace, name) =>
  `/clusters/${enc(clusterId)}/namespaces/${enc(namespace)}/helm/releases/${enc(name)}`;

/**
 * One revision (default the latest): chart, notes, values (masked unless `reveal`), manifest, hooks, objects.
 * @param {number|string} clusterId
 * @param {string} namespace
 * @param {string} name
 * @param {{revision?: number, reveal?: boolean, signal?: AbortSignal}} [options]
 */
export function releaseDetail(clusterId, namespace, name, { revision, reveal, signal } = {}) {
  return get(release(clusterId, namespace, name), { query: { revision, reveal: reveal ? "true" : undefined }, signal });
}

/**
 * Every revision, newest first.
 * @param {number|string} clusterId
 * @param {string} namespace
 * @param {string} name
 * @param {{signal?: AbortSignal}} [options]
 */
export function releaseHistory(clusterId, namespace, name, { signal } = {}) {
  return get(`${release(clusterId, namespace, name)}/history`, { signal });
}

/**
 * Unified diffs of the user values and manifests of two revisions (values masked unless `reveal`).
 * @param {number|string} clusterId
 * @param {string} namespace
 * @param {string} name
 * @param {number} from
 * @param {number} to
 * @param {{reveal?: boolean, signal?: AbortSignal}} [options]
 */
export function releaseDiff(clusterId, namespace, name, from, to, { reveal, signal } = {}) {
  return get(`${release(clusterId, namespace, name)}/diff`, {
    query: { from, to, reveal: reveal ? "true" : undefined }, signal,
  });
}

/** Roll back to `revision` (with `dryRun`: the plan, the diffs and the API server's verdict, nothing written). */
export function rollbackRelease(clusterId, namespace, name, revision, { dryRun = false } = {}) {
  return post(`${release(clusterId, namespace, name)}/rollback`, { revision, dryRun });
}

/** Uninstall (with `dryRun`: what would be deleted). */
export function uninstallRelease(clusterId, namespace, name, { keepHistory = false, dryRun = false } = {}) {
  return del(release(clusterId, namespace, name), {
    query: { keepHistory: keepHistory ? "true" : undefined, dryRun: dryRun ? "true" : undefined },
  });
}
