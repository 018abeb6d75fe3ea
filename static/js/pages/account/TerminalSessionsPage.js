/**
 * Terminal sessions (yours; an admin sees everyone's), newest first, with links to replay the
 * recordings. Paged by the server.
 */
import { html, useState } from "../../lib/ui.js";
import { formatCount } from "../../lib/format.js";
import { listTerminalSessions } from "../../api/admin.js";
import { Link, paths } from "../../router.js";
import { Icon } from "../../components/Icon.js";
import { LoadingBlock } from "../../components/Spinner.js";
import { EmptyState } from "../../components/EmptyState.js";
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
    ${sessions.loading && !sessions.data ? html`<${LoadingBlock} label="Loading sessions…" />`
      : rows.length === 0 ? html`<${EmptyState} icon="terminal" title="No terminal sessions">Open a pod's Terminal tab to start one.</${EmptyState}>`
      : html`<div class="card card-flush"><div class="data-table-wrap"><table class="data-table" aria-label="Terminal sessions">
          <thead><tr><th>Started</th><th>User</th><th>Pod</th><th>Command</th><th>Duration</th><th>Exit</th><th>Size</th><th></th></tr></thead>
          <tbody>${rows.map((s) => html`<tr key=${s.id}>
            <td>${new Date(s.startedAt).toLocaleString()}</td>
            <td>${s.username}</td>
            <td class="mono">${s.clusterName ? html`<span class="muted">${s.clusterName} · </span>` : ""}${s.namespace}/${s.pod}<span class="muted">/${s.container}</span></td>
            <td class="mono">${(s.command ?? []).join(" ")}</td>
            <td>${s.endedAt ? duration(s.startedAt, s.endedAt) : html`<${StatusBadge} value="Running" />`}</td>
            <td>${s.exitStatus ? html`<${StatusBadge} value=${s.exitCode ?? s.exitStatus} tone=${s.exitStatus === "Success" ? "ok" : "error"} />` : html`<span class="muted">—</span>`}</td>
            <td>${bytes(s.bytes)}</td>
            <td class="align-right">${s.recorded ? html`<${Link} class="button button-ghost" href=${paths.terminalSession(s.id)}><${Icon} name="play" size=${13} /> Replay</${Link}>`
              : html`<span class="muted small">not recorded</span>`}</td>
          </tr>`)}</tbody>
        </table></div>
        <${Pager} page=${page} pageSize=${PAGE_SIZE} total=${total} onPage=${setPage} />
      </div>`}
  </div>`;
}
