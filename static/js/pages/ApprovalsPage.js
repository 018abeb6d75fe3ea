/**
 * Approvals: the changes AI agents asked for through the MCP endpoint (docs/mcp.md), live over the watch socket
 * (`resource: change-requests`). Pending requests show who asked (user, API key or token, client), what, and the
 * dry-run diff, with Approve / Deny and a comment for the agent; decided ones show who decided and the outcome.
 * Below: the actions the user lets their own agents run without approval (changed from a signed-in session only).
 */
import { html, cx, useEffect, useState } from "../lib/ui.js";
import { formatCount, humanDuration } from "../lib/format.js";
import { useNow } from "../lib/clock.js";
import { watch } from "../api/socket.js";
import { decideChangeRequest, getApprovalSettings, listChangeRequests, setAutoApprovedActions } from "../api/approvals.js";
import { Link, paths } from "../router.js";
import { notifyError, pushToast } from "../state/toasts.js";
import { Age } from "../components/Age.js";
import { DiffView } from "../components/DiffView.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { StatusBadge } from "../components/StatusBadge.js";

const STATUS_TONES = { pending: "warn", done: "ok", denied: "error", failed: "error", expired: "" };
const MAX_COMMENT_CHARS = 1000;

/** @typedef {import("../api/approvals.js").ChangeRequest} ChangeRequest */

/** The requests, kept current from the list and the socket's events (keyed by id). */
function useChangeRequests() {
  const [state, setState] = useState({ requests: /** @type {Map<number, ChangeRequest>} */ (new Map()), loading: true,
    error: null });
  useEffect(() => {
    let cancelled = false;
    const load = () => listChangeRequests().then(
      (list) => !cancelled && setState({ requests: new Map(list.map((r) => [r.id, r])), loading: false, error: null }),
      (error) => !cancelled && setState((prev) => ({ ...prev, loading: false, error })),
    );
    const unsubscribe = watch({ resource: "change-requests" }, {
      onEvents: (events) => setState((prev) => {
        const requests = new Map(prev.requests);
        for (const event of events) requests.set(event.object.id, event.object);
        return { ...prev, requests };
      }),
      onResync: load,
    });
    load();
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, []);
  return { ...state, update: (/** @type {ChangeRequest} */ request) => setState((prev) => ({
    ...prev, requests: new Map(prev.requests).set(request.id, request) })) };
}

/** What the request would do, in words ("scale deployments/web to 3 in shop"). */
function describeChange(r) {
  const target = `${r.resource}/${r.name}`;
  const where = r.namespace ? ` in ${r.namespace}` : "";
  switch (r.action) {
    case "scale": return `Scale ${target}${where} to ${r.payload.replicas}`;
    case "rollback": return `Roll back ${target}${where} to revision ${r.payload.revision}`;
    case "patch": return `Patch ${target}${where} (${r.payload.type} patch)`;
    case "apply": return `${r.payload.change === "create" ? "Create" : "Replace"} ${target}${where}`;
    default: return `${r.action[0].toUpperCase()}${r.action.slice(1)} ${target}${where}`;
  }
}

/**
 * @param {{request: ChangeRequest, user: object, secondPerson: boolean, onDecided: (r: ChangeRequest) => void}} props
 */
function RequestCard({ request: r, user, secondPerson, onDecided }) {
  const now = useNow();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const expired = r.status === "pending" && Date.parse(r.expiresAt) <= now;
  const status = expired ? "expired" : r.status;
  const own = r.requestedBy === user?.username;
  const mayApprove = !(secondPerson && own);
  const label = describeChange(r);

  const decide = async (approve) => {
    setBusy(true);
    try {
      const decided = await decideChangeRequest(r.id, approve, comment.trim());
      onDecided(decided);
      const kind = decided.status === "done" || decided.status === "denied" ? "success" : "error";
      pushToast({ kind, message: decided.status === "done" ? `Approved and done: ${label}`
        : decided.status === "denied" ? `Denied: ${label}` : `${label} failed: ${decided.outcomeMessage}` });
    } catch (failure) {
      notifyError(`Could not ${approve ? "approve" : "deny"} request ${r.id}`, failure);
    } finally {
      setBusy(false);
    }
  };

  const targetHref = r.action === "delete" ? null
    : paths.detail(r.clusterId, r.namespace, r.resource, r.name);
  return html`<article class=${cx("card", "approval-card", `approval-${status}`)} aria-label=${`Change request ${r.id}`}>
    <header class="approval-head">
      <div class="approval-title">
        <${StatusBadge} value=${status} tone=${STATUS_TONES[status] ?? ""} />
        <h2 class="approval-what">${targetHref ? html`<${Link} href=${targetHref}>${label}</${Link}>` : label}</h2>
      </div>
      <span class="muted small">#${r.id} · asked <${Age} value=${r.createdAt} suffix=" ago" /></span>
    </header>
    <dl class="approval-who">
      <div><dt>Asked by</dt><dd>${r.requestedBy}${own ? html` <span class="muted">(you)</span>` : ""}</dd></div>
      <div><dt>With</dt><dd>${r.viaApiKey ? "an API key" : "a session token"}</dd></div>
      <div><dt>Client</dt><dd class="mono">${r.client}</dd></div>
      <div><dt>Cluster</dt><dd>${r.clusterId}</dd></div>
      ${r.status === "pending" && !expired && html`<div><dt>Expires</dt><dd>in ${humanDuration((Date.parse(r.expiresAt) - now) / 1000)}</dd></div>`}
      ${r.decidedBy && html`<div><dt>Decided by</dt><dd>${r.decidedBy}</dd></div>`}
      ${r.comment && html`<div><dt>Comment</dt><dd>${r.comment}</dd></div>`}
      ${r.outcomeMessage && html`<div><dt>Outcome</dt><dd>${r.outcomeCode ? `${r.outcomeCode}: ` : ""}${r.outcomeMessage}</dd></div>`}
    </dl>
    <${DiffView} diff=${r.diff} />
    ${r.status === "pending" && !expired && html`<div class="approval-decide">
      <label class="field grow"><span class="field-label">Comment for the agent (optional)</span>
        <input value=${comment} maxlength=${MAX_COMMENT_CHARS} disabled=${busy} placeholder="e.g. only outside business hours"
          onInput=${(e) => setComment(e.currentTarget.value)} /></label>
      <div class="row-actions">
        <button type="button" class="button button-danger-outline" disabled=${busy} onClick=${() => decide(false)}>
          <${Icon} name="ban" size=${14} /> Deny</button>
        <button type="button" class="button" disabled=${busy || !mayApprove} onClick=${() => decide(true)}
          title=${mayApprove ? "Runs the change now, as the requester" : "A second person must approve your own request"}>
          <${Icon} name="check" size=${14} /> Approve</button>
      </div>
      ${!mayApprove && html`<div class="muted small">This server requires a second person: someone else must approve your own request.</div>`}
    </div>`}
  </article>`;
}

/** The actions the user's own MCP calls run without approval. */
function AutoApproval({ settings, onSaved }) {
  const [chosen, setChosen] = useState(settings.autoApprovedActions);
  const [busy, setBusy] = useState(false);
  useEffect(() => setChosen(settings.autoApprovedActions), [settings]);
  const toggle = (action) => setChosen((list) => (list.includes(action) ? list.filter((a) => a !== action) : [...list, action]));
  const save = async () => {
    setBusy(true);
    try {
      onSaved(await setAutoApprovedActions(chosen));
      pushToast({ kind: "success", message: chosen.length ? `Your agents now ${chosen.join(", ")} without approval`
        : "Every change of your agents waits for approval" });
    } catch (failure) {
      notifyError("Could not save the auto-approved actions", failure);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card approval-settings" aria-label="Run without approval">
    <h2 class="card-title"><${Icon} name="zap" size=${15} /> Run without approval</h2>
    <p class="muted small">Actions your own agents' MCP calls may run at once, without waiting for a person (each is still
      audited, as approved automatically). Off by default; an API key cannot change this list.</p>
    ${settings.secondPersonRequired && html`<p class="small">This server requires a second person for every approval, so
      this list does not apply.</p>`}
    <div class="checkbox-grid">${settings.actions.map((action) => html`<label key=${action} class="checkbox-row">
      <input type="checkbox" checked=${chosen.includes(action)} disabled=${busy} onChange=${() => toggle(action)} /> ${action}
    </label>`)}</div>
    <div class="row-actions"><button type="button" class="button button-ghost" disabled=${busy} onClick=${save}>Save</button></div>
  </section>`;
}

/** @param {{user: object}} props */
export function ApprovalsPage({ user }) {
  const { requests, loading, error, update } = useChangeRequests();
  const [settings, setSettings] = useState(null);
  useEffect(() => {
    getApprovalSettings().then(setSettings, (failure) => notifyError("Could not load the approval settings", failure));
  }, []);
  const all = [...requests.values()].sort((a, b) => b.id - a.id);
  const pending = all.filter((r) => r.status === "pending");
  const decided = all.filter((r) => r.status !== "pending");
  const secondPerson = Boolean(settings?.secondPersonRequired);
  const card = (r) => html`<${RequestCard} key=${r.id} request=${r} user=${user} secondPerson=${secondPerson} onDecided=${update} />`;

  return html`<div class="page approvals-page">
    <div class="page-header">
      <div class="page-heading"><h1 class="page-title">Approvals</h1>
        ${!loading && html`<span class="count-badge">${formatCount(pending.length)} pending</span>`}</div>
      <div class="page-subtitle">Changes AI agents asked for through the MCP endpoint. Approving runs the change at once, as
        the agent's user; you need the right to do it yourself.</div>
    </div>
    ${error && html`<${EmptyState} icon="alert" tone="error" title="Could not load change requests">${error.message}</${EmptyState}>`}
    <section class="approvals-section" aria-label="Pending requests">
      <h2 class="section-title">Pending</h2>
      ${loading ? html`<div class="muted">Loading…</div>`
        : pending.length ? pending.map(card)
          : html`<div class="muted approvals-empty">Nothing waits for a decision.</div>`}
    </section>
    <section class="approvals-section" aria-label="Decided requests">
      <h2 class="section-title">Decided</h2>
      ${!loading && (decided.length ? decided.map(card) : html`<div class="muted approvals-empty">No decided requests yet.</div>`)}
    </section>
    ${settings && html`<${AutoApproval} settings=${settings} onSaved=${setSettings} />`}
  </div>`;
}
