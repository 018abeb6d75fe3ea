/**
 * Terminal sessions (yours; an admin sees everyone's), newest first, with links to replay the
 * recordings. Paged by the server.
 */
import { html, useState } from "../../lib/ui.js";
import { formatCount } from "../../lib/format.js";
import { listTerminalSessions } from "../../api/admin.js";
import { Link, paths } from "../../router.js";
import { Icon } from "../../components/Icon.js";
import { DataTable } from "../../components/DataTable.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { Pager } from "../../components/Pager.js";
import { usePromise } from "../usePromise.js";

const PAGE_SIZE = 50;

function duration(start, end) {
  if (!start || !end) return "—";
  const s = Math.max(0, Math.round((Date.parse(end) - Date.parse(start)) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function bytes(n) {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n ?? 0} B`;
}

/** @type {import("../../components/DataTable.js").TableColumn[]} */
const SESSION_COLUMNS = [
  { key: "started", label: "Started", render: (s) => new Date(s.startedAt).toLocaleString() },
  { key: "user", label: "User", value: (s) => s.username },
  { key: "pod", label: "Pod", className: "mono", render: (s) => html`${s.clusterName ? html`<span class="muted">${s.clusterName} · </span>` : ""}${s.namespace}/${s.pod}<span class="muted">/${s.container}</span>` },
  { key: "command", label: "Command", className: "mono", render: (s) => (s.command ?? []).join(" ") },
  { key: "duration", label: "Duration", render: (s) => (s.endedAt ? duration(s.startedAt, s.endedAt) : html`<${StatusBadge} value="Running" />`) },
  { key: "exit", label: "Exit", render: (s) => (s.exitStatus ? html`<${StatusBadge} value=${s.exitCode ?? s.exitStatus} tone=${s.exitStatus === "Success" ? "ok" : "error"} />` : html`<span class="muted">—</span>`) },
  { key: "size", label: "Size", render: (s) => bytes(s.bytes) },
  { key: "replay", label: "", align: "right", render: (s) => (s.recorded
    ? html`<${Link} class="button button-ghost" href=${paths.terminalSession(s.id)}><${Icon} name="play" size=${13} /> Replay</${Link}>`
    : html`<span class="muted small">not recorded</span>`) },
];

/** @param {{user: object}} props */
export function TerminalSessionsPage({ user }) {
  const [page, setPage] = useState(1);
  const sessions = usePromise((signal) => listTerminalSessions({ page, pageSize: PAGE_SIZE, signal }), [page], {
    errorTitle: "Could not load terminal sessions", initial: null,
  });
  const rows = sessions.data?.data ?? [];
  const total = sessions.data?.meta?.total ?? rows.length;
  return html`<div class="page">
    <div class="page-header">
      <div class="page-heading"><h1 class="page-title">Terminal sessions</h1>
        ${sessions.data && html`<span class="count-badge">${formatCount(total)}</span>`}</div>
      <div class="page-subtitle">${user?.role === "admin" ? "Every user's" : "Your"} shells in pods, recorded for ${"30"} days.</div>
    </div>
    <div class="card card-flush">
      <${DataTable} label="Terminal sessions" columns=${SESSION_COLUMNS} rows=${rows} rowKey=${(s) => s.id}
        loading=${sessions.loading} error=${sessions.error} onRetry=${sessions.reload} errorTitle="Could not load terminal sessions"
        empty="No terminal sessions" emptyHint="Open a pod's Terminal tab to start one." emptyIcon="terminal" />
      ${rows.length > 0 && html`<${Pager} page=${page} pageSize=${PAGE_SIZE} total=${total} onPage=${setPage} />`}
    </div>
  </div>`;
}
