/** The audit log (admin, ops): filters by user, action, cluster and time; paged newest first. */
import { html, useState } from "../../lib/ui.js";
import { listAuditLogs } from "../../api/admin.js";
import { Pager } from "../../components/Pager.js";
import { DataTable } from "../../components/DataTable.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { Icon } from "../../components/Icon.js";
import { usePromise } from "../usePromise.js";

const PAGE_SIZE = 50;
const ACTIONS = ["", "login", "login.failed", "refresh", "logout", "logout-all", "access.refused", "2fa.setup",
  "2fa.enable", "2fa.disable", "apikey.create", "apikey.delete", "user.create", "user.update", "user.delete",
  "user.password", "user.reset-password", "user.reset-2fa", "cluster.create", "cluster.delete", "pod.exec", "workload.scale",
  "workload.restart", "deployment.rollback", "cronjob.trigger", "node.cordon", "node.uncordon"];

/**
 * The Result cell: OK, the error code, or "attempted" for a change whose outcome was never recorded
 * (its row is written before the change is sent; the server stopped before Kubernetes answered).
 * @param {number|null} code
 */
function resultBadge(code) {
  if (code === null) return html`<${StatusBadge} value="attempted" tone="warn" />`;
  return code === 0 ? html`<${StatusBadge} value="OK" tone="ok" />` : html`<${StatusBadge} value=${String(code)} tone="error" />`;
}

/**
 * @param {Map<number, string>} clusterNames
 * @returns {import("../../components/DataTable.js").TableColumn[]}
 */
function auditColumns(clusterNames) {
  return [
    { key: "time", label: "Time", className: "nowrap", render: (e) => new Date(e.createdAt).toLocaleString() },
    { key: "user", label: "User", value: (e) => e.username },
    { key: "action", label: "Action", className: "mono", value: (e) => e.action },
    { key: "target", label: "Target", className: "mono small", value: (e) => [
      e.clusterId ? clusterNames.get(e.clusterId) ?? `cluster ${e.clusterId}` : null, e.namespace, e.resource, e.name,
    ].filter(Boolean).join(" / ") },
    { key: "result", label: "Result", render: (e) => resultBadge(e.code) },
    { key: "client", label: "Client", className: "mono small", render: (e) => e.clientIp ?? "" },
    { key: "request", label: "Request", className: "mono small muted",
      render: (e) => html`<span title=${e.detail ? JSON.stringify(e.detail) : ""}>${e.requestId}</span>` },
  ];
}

/** @param {{clusters: object[]}} props */
export function AuditPage({ clusters }) {
  const [filters, setFilters] = useState({ user: "", action: "", cluster: "", since: "" });
  const [page, setPage] = useState(1);
  const audit = usePromise((signal) => listAuditLogs({
    user: filters.user || undefined, action: filters.action || undefined, cluster: filters.cluster || undefined,
    since: filters.since ? new Date(filters.since).toISOString() : undefined, page, pageSize: PAGE_SIZE, signal,
  }), [filters, page], { errorTitle: "Could not load the audit log", initial: null });
  const apply = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPage(1);
    setFilters({ user: String(form.get("user")).trim(), action: String(form.get("action")).trim(),
      cluster: String(form.get("cluster")), since: String(form.get("since")) });
  };
  const clusterNames = new Map(clusters.map((c) => [c.id, c.name]));
  const rows = audit.data?.data ?? [];
  return html`<div class="card card-flush">
    <form class="toolbar audit-filters" onSubmit=${apply} aria-label="Audit filters">
      <label class="field"><span class="field-label">User</span><input name="user" value=${filters.user} placeholder="username" /></label>
      <label class="field"><span class="field-label">Action</span><input name="action" list="audit-actions" value=${filters.action} placeholder="any" />
        <datalist id="audit-actions">${ACTIONS.filter(Boolean).map((a) => html`<option key=${a} value=${a} />`)}</datalist></label>
      <label class="field"><span class="field-label">Cluster</span><select name="cluster" value=${filters.cluster}>
        <option value="">Any</option>${clusters.map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name}</option>`)}</select></label>
      <label class="field"><span class="field-label">Since</span><input name="since" type="datetime-local" value=${filters.since} /></label>
      <button type="submit" class="button button-primary"><${Icon} name="search" size=${14} /> Apply</button>
    </form>
    <${DataTable} label="Audit log" class="audit-table" columns=${auditColumns(clusterNames)} rows=${rows} rowKey=${(e) => e.id}
      loading=${audit.loading} error=${audit.error} onRetry=${audit.reload} errorTitle="Could not load the audit log"
      empty="No entries" emptyHint="Nothing matches these filters." />
    ${rows.length > 0 && html`<${Pager} page=${page} pageSize=${PAGE_SIZE} total=${audit.data.meta?.total ?? rows.length} onPage=${setPage} />`}
  </div>`;
}
