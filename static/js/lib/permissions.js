/**
 * What the signed-in user may do, mirroring the server's rules (kubevision/auth/permissions.py) so
 * the UI hides or disables what would be refused anyway. The server stays the authority: a hidden
 * button is a courtesy, never the check.
 *
 * Effective = role verbs (or the custom role's "resource:verb" list) ∩ the kind's Kubernetes verbs.
 */

import { serverInfo } from "../state/server.js";

const ALL = ["read", "write", "delete", "exec", "logs", "reveal"];
// Refused by a --read-only server whatever the role.
const WRITE_VERBS = new Set(["write", "delete", "exec"]);
const ROLE_VERBS = {
  admin: ALL,
  ops: ALL,
  dev: ["read", "write", "delete", "exec", "logs"],
  readonly: ["read", "logs"],
  custom: [],
};

/** Workloads the batch and single restart act on (a pod-template annotation). */
export const RESTARTABLE = new Set(["deployments", "statefulsets", "daemonsets"]);
/** Kinds with a scale subresource in the API (kubectl scale). */
export const SCALABLE = new Set(["deployments", "statefulsets", "replicasets"]);

/**
 * Whether the user's role allows `verb` on `resource` (a lowercase plural).
 * @param {{role?: string, permissions?: string[]}|null|undefined} user
 * @param {string} resource
 * @param {"read"|"write"|"delete"|"exec"|"logs"|"reveal"} verb
 * @param {{clusterScoped?: boolean}} [options] dev may only read cluster-scoped kinds
 * @returns {boolean}
 */
export function roleAllows(user, resource, verb, { clusterScoped = false } = {}) {
  if (!user) return false;
  if (serverInfo.get().readOnly && WRITE_VERBS.has(verb)) return false;
  if (user.role === "custom") {
    const granted = new Set(user.permissions ?? []);
    return [`${resource}:${verb}`, `*:${verb}`, `${resource}:*`, "*:*"].some((p) => granted.has(p));
  }
  if (user.role === "dev" && clusterScoped) return verb === "read";
  return (ROLE_VERBS[user.role] ?? []).includes(verb);
}

/** Kubernetes verbs of a kind (from discovery); an unknown list allows everything. */
function kindHas(kind, ...verbs) {
  const list = kind?.verbs;
  if (!Array.isArray(list) || list.length === 0) return true;
  return verbs.some((verb) => list.includes(verb));
}

/**
 * The UI actions available on a kind.
 * @param {{role?: string, permissions?: string[]}|null|undefined} user
 * @param {{name: string, namespaced?: boolean, verbs?: string[]}|null|undefined} kind
 * @returns {{edit: boolean, delete: boolean, create: boolean, restart: boolean, scale: boolean, reveal: boolean}}
 */
export function abilities(user, kind) {
  const resource = kind?.name ?? "";
  const clusterScoped = kind?.namespaced === false;
  const write = roleAllows(user, resource, "write", { clusterScoped });
  return {
    edit: write && kindHas(kind, "update", "patch"),
    create: write && kindHas(kind, "create"),
    delete: roleAllows(user, resource, "delete", { clusterScoped }) && kindHas(kind, "delete"),
    restart: write && RESTARTABLE.has(resource),
    scale: write && SCALABLE.has(resource),
    reveal: resource === "secrets" && roleAllows(user, resource, "reveal", { clusterScoped }),
  };
}
