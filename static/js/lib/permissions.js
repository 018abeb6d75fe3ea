/**
 * What the signed-in user may do with a kind, as GET /clusters/{id}/kinds tells it: the kind's capabilities and
 * Kubernetes verbs (from discovery and the server's registry) ∩ the user's verbs on it (`allowed`, decided by
 * the server's access scope for the namespace asked about, --read-only included). No role rule is copied here;
 * the server stays the authority: a hidden button is a courtesy, never the check.
 */

import { kindWith } from "./kinds.js";

/** @typedef {import("./kinds.js").Kind} Kind */

/**
 * Whether the user may do `verb` ("read", "write", "delete", "exec", "logs", "reveal", "portforward") with the kind.
 * @param {Kind|null|undefined} kind
 * @param {string} verb
 */
export function userMay(kind, verb) {
  return Boolean(kind?.allowed?.includes(verb));
}

/**
 * Whether the kind has a capability ("scale", "restart", "logs", "exec", "aggregated_logs").
 * @param {Kind|null|undefined} kind
 * @param {string} capability
 */
export function kindCan(kind, capability) {
  return Boolean(kind?.capabilities?.includes(capability));
}

/**
 * Whether the API server serves one of these Kubernetes verbs on the kind (discovery).
 * @param {Kind|null|undefined} kind
 * @param {...string} verbs
 */
function kindHas(kind, ...verbs) {
  return verbs.some((verb) => Boolean(kind?.verbs?.includes(verb)));
}

/**
 * The UI actions available on a kind.
 * @param {Kind|null|undefined} kind
 * @param {Kind[]|null} [kinds] every kind of the cluster (aggregated logs also need the `logs` verb on the
 *   kind that has logs: the pods)
 * @returns {{edit: boolean, delete: boolean, create: boolean, restart: boolean, scale: boolean, reveal: boolean,
 *            logs: boolean, aggregatedLogs: boolean, exec: boolean, portForward: boolean, helmRollback: boolean,
 *            helmUninstall: boolean, drain: boolean}}
 *   `portForward`: the kind can be forwarded to, and the user may read it and forward to pods (`portforward`)
 *   `drain`: the kind can be drained (nodes), the user may change it and delete (evict) pods
 */
export function abilities(kind, kinds) {
  const write = userMay(kind, "write");
  return {
    edit: write && kindHas(kind, "update", "patch"),
    create: write && kindHas(kind, "create"),
    delete: userMay(kind, "delete") && kindHas(kind, "delete"),
    restart: write && kindCan(kind, "restart"),
    scale: write && kindCan(kind, "scale"),
    reveal: Boolean(kind?.sensitive) && userMay(kind, "reveal"),
    logs: kindCan(kind, "logs") && userMay(kind, "logs"),
    aggregatedLogs: kindCan(kind, "aggregated_logs") && userMay(kind, "read") && userMay(kindWith(kinds, "logs"), "logs"),
    exec: kindCan(kind, "exec") && userMay(kind, "exec"),
    helmRollback: kindCan(kind, "helm") && userMay(kind, "write"),
    helmUninstall: kindCan(kind, "helm") && userMay(kind, "delete"),
    drain: write && kindCan(kind, "drain") && userMay((kinds ?? []).find((k) => k.name === "pods"), "delete"),
    portForward: kindCan(kind, "port_forward") && userMay(kind, "read")
      && userMay(kind?.name === "pods" ? kind : (kinds ?? []).find((k) => k.name === "pods"), "portforward"),
  };
}
