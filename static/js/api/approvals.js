/** Change requests of AI agents (`/api/v1/approvals`): list, decide, and the caller's auto-approved actions. */
import { get, post, put } from "./client.js";

/**
 * @typedef {{id: number, status: "pending"|"denied"|"expired"|"done"|"failed", action: string, clusterId: number,
 *   resource: string, namespace: string|null, name: string, payload: object, diff: string, requestedBy: string,
 *   viaApiKey: boolean, client: string, createdAt: string, expiresAt: string, decidedBy: string|null,
 *   decidedAt: string|null, comment: string|null, outcomeCode: number|null, outcomeMessage: string|null}} ChangeRequest
 */

/**
 * The requests the caller asked for or may decide, newest first.
 * @returns {Promise<ChangeRequest[]>}
 */
export function listChangeRequests(options) {
  return get("/approvals", options);
}

/**
 * Approve (it runs at once, as its requester) or deny a pending request.
 * @param {number} id
 * @param {boolean} approve
 * @param {string} comment shown to the agent
 * @returns {Promise<ChangeRequest>}
 */
export function decideChangeRequest(id, approve, comment) {
  return post(`/approvals/${id}/${approve ? "approve" : "deny"}`, comment ? { comment } : {});
}

/**
 * @typedef {{autoApprovedActions: string[], secondPersonRequired: boolean, autoApprovalInEffect: boolean,
 *   actions: string[]}} ApprovalSettings
 */

/** @returns {Promise<ApprovalSettings>} */
export function getApprovalSettings() {
  return get("/approvals/settings");
}

/**
 * Choose the actions your own MCP calls run without approval (a signed-in session only).
 * @param {string[]} actions
 * @returns {Promise<ApprovalSettings>}
 */
export function setAutoApprovedActions(actions) {
  return put("/approvals/settings", { autoApprovedActions: actions });
}
