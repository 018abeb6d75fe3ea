/**
 * The Release tab of a Helm release (kinds with the `helm` capability): the revision history, the values (user and
 * computed), manifest, notes, hooks and objects of a revision, a diff of any two revisions (picking a revision
 * compares it with the latest; the two pickers compare any pair), and the
 * rollback (a dry-run preview first: plan and diffs) and uninstall (with "keep history") dialogs. Values and Secret
 * documents come masked unless the user reveals them (the server decides and audits). Hooks are never run.
 */
import { html, cx, useEffect, useState } from "../../lib/ui.js";
import { stringify } from "yaml";
import { userMay } from "../../lib/permissions.js";
import { releaseDetail, releaseDiff, releaseHistory, rollbackRelease, uninstallRelease } from "../../api/helm.js";
import { ALL_NAMESPACES, Link, navigate, paths } from "../../router.js";
import { pushToast } from "../../state/toasts.js";
import { ActionDialog } from "../../components/ActionDialog.js";
import { DiffView } from "../../components/DiffView.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { Age } from "../../components/Age.js";
import { Spinner } from "../../components/Spinner.js";

const VIEWS = [
  { id: "values", label: "Values" }, { id: "computed", label: "Computed values" }, { id: "manifest", label: "Manifest" },
  { id: "notes", label: "Notes" }, { id: "hooks", label: "Hooks" }, { id: "objects", label: "Objects" },
];

function ViewBody({ view, detail, clusterId }) {
  if (view === "values") return html`<pre class="kv-value mono helm-text">${stringify(detail.values ?? {})}</pre>`;
  if (view === "computed") return html`<pre class="kv-value mono helm-text">${stringify(detail.computedValues ?? {})}</pre>`;
  if (view === "manifest") return html`<pre class="kv-value mono helm-text">${detail.manifest || "(empty)"}</pre>`;
  if (view === "notes") return html`<pre class="kv-value helm-text">${detail.notes || "(no notes)"}</pre>`;
  if (view === "hooks") {
    return detail.hooks.length ? detail.hooks.map((hook) => html`<div key=${hook.name} class="helm-hook">
      <div class="field-label">${hook.kind} ${hook.name} · ${(hook.events ?? []).join(", ")}</div>
      <pre class="kv-value mono helm-text">${hook.manifest}</pre></div>`) : html`<p class="muted">No hooks.</p>`;
  }
  return html`<table class="data-table" aria-label="Release objects">
    <thead><tr><th>Kind</th><th>Name</th><th>Namespace</th><th>Live</th></tr></thead>
    <tbody>${detail.objects.map((o) => html`<tr key=${`${o.kind}/${o.namespace}/${o.name}`}>
      <td>${o.kind}</td>
      <td class="mono">${o.resource ? html`<${Link} href=${paths.detail(clusterId, o.namespace ?? ALL_NAMESPACES, o.resource, o.name)}>${o.name}</${Link}>` : o.name}</td>
      <td>${o.namespace ?? "—"}</td>
      <td>${o.exists === null ? html`<span class="muted">—</span>` : o.exists ? (o.status ? html`<${StatusBadge} value=${o.status} />` : "present") : "missing"}</td>
    </tr>`)}</tbody>
  </table>`;
}

function RollbackPreview({ preview }) {
  return html`<div class="helm-preview">
    <div class="field-label">Objects (hooks are not run)</div>
    <ul class="helm-plan">${preview.objects.map((o) => html`<li key=${`${o.action}/${o.kind}/${o.name}`}>
      <span class="chip">${o.action}</span> ${o.kind} <span class="mono">${o.name}</span>
      ${o.code ? html` <span class="text-warn">${o.message}</span>` : ""}</li>`)}</ul>
    <div class="field-label">Manifest: revision ${preview.fromRevision} → ${preview.revision}</div>
    <${DiffView} diff=${preview.diff.manifest} />
    <div class="field-label">Values</div>
    <${DiffView} diff=${preview.diff.values} />
  </div>`;
}

/**
 * @param {{clusterId: string, namespace: string, name: string, kind: object, object: object,
 *          can: ReturnType<typeof import("../../lib/permissions.js").abilities>}} props
 */
export function HelmTab({ clusterId, namespace, name, kind, object, can }) {
  const [history, setHistory] = useState({ loading: true, items: [], error: null });
  const [detail, setDetail] = useState({ loading: true, data: null, error: null });
  const [selected, setSelected] = useState(null);
  const [revealed, setRevealed] = useState(false);
  const [view, setView] = useState("values");
  const [compare, setCompare] = useState(null);
  const [pair, setPair] = useState({ from: null, to: null }); // the two revisions compared
  const [dialog, setDialog] = useState(null); // "rollback" | "uninstall" | null
  const [preview, setPreview] = useState({ loading: false, data: null, error: null });
  const [keepHistory, setKeepHistory] = useState(false);
  const latest = object?.status?.revision;

  useEffect(() => {
    const controller = new AbortController();
    setHistory((prev) => ({ ...prev, loading: true }));
    releaseHistory(clusterId, namespace, name, { signal: controller.signal }).then(
      (items) => setHistory({ loading: false, items: items ?? [], error: null }),
      (error) => !controller.signal.aborted && setHistory({ loading: false, items: [], error }));
    return () => controller.abort();
  }, [clusterId, namespace, name, latest]);

  useEffect(() => {
    const controller = new AbortController();
    setDetail((prev) => ({ ...prev, loading: true }));
    releaseDetail(clusterId, namespace, name, { revision: selected ?? undefined, reveal: revealed, signal: controller.signal }).then(
      (data) => setDetail({ loading: false, data, error: null }),
      (error) => !controller.signal.aborted && setDetail({ loading: false, data: null, error }));
    return () => controller.abort();
  }, [clusterId, namespace, name, selected, revealed, latest]);

  useEffect(() => {
    if (!pair.from || !pair.to || pair.from === pair.to) {
      setCompare(null);
      return undefined;
    }
    const controller = new AbortController();
    releaseDiff(clusterId, namespace, name, pair.from, pair.to, { reveal: revealed, signal: controller.signal }).then(
      (data) => setCompare(data), (error) => !controller.signal.aborted && setCompare({ error }));
    return () => controller.abort();
  }, [clusterId, namespace, name, pair.from, pair.to, revealed]);

  const choose = (revision) => {
    setSelected(revision);
    setPair({ from: revision, to: latest });
  };
  const pick = (end) => (event) => {
    const revision = Number(event.currentTarget.value) || null;
    setPair((prev) => ({ ...prev, [end]: revision }));
  };

  const openRollback = () => {
    setDialog("rollback");
    setPreview({ loading: true, data: null, error: null });
    rollbackRelease(clusterId, namespace, name, selected, { dryRun: true }).then(
      (data) => setPreview({ loading: false, data, error: null }),
      (error) => setPreview({ loading: false, data: null, error }));
  };
  const openUninstall = (keep) => {
    setDialog("uninstall");
    setPreview({ loading: true, data: null, error: null });
    uninstallRelease(clusterId, namespace, name, { keepHistory: keep, dryRun: true }).then(
      (data) => setPreview({ loading: false, data, error: null }),
      (error) => setPreview({ loading: false, data: null, error }));
  };
  const data = detail.data;
  const target = selected ?? latest;

  return html`<div class="helm-tab">
    <div class="page-actions">
      ${can.helmRollback && html`<button type="button" class="button" disabled=${!selected || selected === latest}
        onClick=${openRollback}>Roll back to revision ${selected && selected !== latest ? selected : "…"}</button>`}
      ${can.helmUninstall && html`<button type="button" class="button button-danger-outline"
        onClick=${() => openUninstall(keepHistory)}>Uninstall</button>`}
      ${userMay(kind, "reveal") && !revealed && html`<button type="button" class="button" onClick=${() => setRevealed(true)}>Reveal values</button>`}
    </div>
    <h2 class="section-title">History</h2>
    ${history.loading && !history.items.length ? html`<div class="loading-inline"><${Spinner} size="sm" inline /> Loading history…</div>`
      : history.error ? html`<div class="form-error" role="alert">${history.error.message}</div>`
      : html`<table class="data-table history-table" aria-label="Release history">
        <thead><tr><th></th><th>Revision</th><th>Status</th><th>Chart</th><th>App version</th><th>Description</th><th>Updated</th></tr></thead>
        <tbody>${history.items.map((item) => html`<tr key=${item.revision} class=${cx(item.revision === target && "is-selected")}
            onClick=${() => choose(item.revision)}>
          <td><input type="radio" name="release-revision" checked=${item.revision === target} aria-label=${`Revision ${item.revision}`}
            onChange=${() => choose(item.revision)} /></td>
          <td class="mono">${item.revision}${item.revision === latest && html` <span class="chip">latest</span>`}</td>
          <td><${StatusBadge} value=${item.error ? "unreadable" : item.status} /></td>
          <td class="mono">${item.chart || "—"}</td><td>${item.appVersion || "—"}</td>
          <td>${item.error || item.description}</td>
          <td>${item.updated ? html`<${Age} value=${item.updated} suffix=" ago" />` : "—"}</td>
        </tr>`)}</tbody>
      </table>`}
    ${history.items.length > 1 && html`<div class="helm-compare-pick">
      <label>Compare revision <select aria-label="Compare from" value=${pair.from ?? ""} onChange=${pick("from")}>
        <option value="">—</option>
        ${history.items.map((item) => html`<option key=${item.revision} value=${item.revision}>${item.revision}</option>`)}
      </select></label>
      <label> with <select aria-label="Compare to" value=${pair.to ?? ""} onChange=${pick("to")}>
        <option value="">—</option>
        ${history.items.map((item) => html`<option key=${item.revision} value=${item.revision}>${item.revision}</option>`)}
      </select></label>
      ${pair.from && pair.from === pair.to && html`<span class="muted"> (the same revision)</span>`}
    </div>`}
    ${compare && (compare.error ? html`<div class="form-error">${compare.error.message}</div>` : html`<div class="helm-compare">
      <h2 class="section-title">Revision ${compare.from} → ${compare.to}</h2>
      <div class="field-label">Manifest</div><${DiffView} diff=${compare.manifest} />
      <div class="field-label">Values</div><${DiffView} diff=${compare.values} />
    </div>`)}
    <h2 class="section-title">Revision ${target ?? ""}${data ? html` · <span class="mono">${data.chart?.name}-${data.chart?.version}</span> · app ${data.appVersion || "—"}` : ""}</h2>
    <div class="tabs" role="tablist" aria-label="Release views">
      ${VIEWS.map((v) => html`<button type="button" role="tab" key=${v.id} aria-selected=${view === v.id ? "true" : "false"}
        class=${cx("tab", view === v.id && "is-active")} onClick=${() => setView(v.id)}>${v.label}</button>`)}
    </div>
    ${data && !data.revealed && (view === "values" || view === "computed" || view === "manifest" || view === "hooks")
      && html`<p class="muted">Values and Secret documents are masked${userMay(kind, "reveal") ? "; Reveal values shows them (audited)" : ""}.</p>`}
    ${detail.error ? html`<div class="form-error" role="alert">${detail.error.message}</div>`
      : data ? html`<${ViewBody} view=${view} detail=${data} clusterId=${clusterId} />`
      : html`<div class="loading-inline"><${Spinner} size="sm" inline /> Loading revision…</div>`}

    <${ActionDialog} open=${dialog === "rollback"} wide title=${`Roll back ${name} to revision ${selected}`}
      confirmLabel=${`Roll back to revision ${selected}`} disabled=${!preview.data}
      description=${`A new revision is written as Helm does ("Rollback to ${selected}"); the objects are applied with server-side apply and those the target lacks are deleted. Hooks are not run.`}
      kubectl=${`helm rollback ${name} ${selected} -n ${namespace} --no-hooks`}
      onConfirm=${async () => {
        const result = await rollbackRelease(clusterId, namespace, name, selected);
        pushToast({ kind: "success", message: `Rolled back ${name} to revision ${selected} (new revision ${result.newRevision})` });
        setSelected(null);
        setPair({ from: null, to: null });
      }}
      onClose=${() => setDialog(null)}>
      ${preview.loading && html`<div class="loading-inline"><${Spinner} size="sm" inline /> Dry run…</div>`}
      ${preview.error && html`<div class="form-error" role="alert">${preview.error.message}</div>`}
      ${dialog === "rollback" && preview.data?.diff && html`<${RollbackPreview} preview=${preview.data} />`}
    </${ActionDialog}>

    <${ActionDialog} open=${dialog === "uninstall"} danger title=${`Uninstall ${name}`} confirmLabel="Uninstall" disabled=${!preview.data}
      description="The release's objects are deleted, then its records (unless the history is kept). Hooks are not run."
      kubectl=${`helm uninstall ${name} -n ${namespace} --no-hooks${keepHistory ? " --keep-history" : ""}`}
      onConfirm=${async () => {
        await uninstallRelease(clusterId, namespace, name, { keepHistory });
        pushToast({ kind: "success", message: `Uninstalled ${name}` });
        if (!keepHistory) navigate(paths.list(clusterId, namespace, kind.name));
      }}
      onClose=${() => setDialog(null)}>
      <label class="checkbox-row"><input type="checkbox" checked=${keepHistory}
        onChange=${(e) => { setKeepHistory(e.currentTarget.checked); openUninstall(e.currentTarget.checked); }} /> Keep history</label>
      ${preview.loading && html`<div class="loading-inline"><${Spinner} size="sm" inline /> Dry run…</div>`}
      ${preview.error && html`<div class="form-error" role="alert">${preview.error.message}</div>`}
      ${dialog === "uninstall" && preview.data?.records && html`<div class="field-label">Will be deleted</div>
        <ul class="helm-plan">${preview.data.objects.map((o) => html`<li key=${`${o.action}/${o.kind}/${o.name}`}>
          <span class="chip">${o.action === "kept" ? "kept" : "delete"}</span> ${o.kind} <span class="mono">${o.name}</span></li>`)}
          ${[...preview.data.records.deleted].map((r) => html`<li key=${r}><span class="chip">delete</span> record <span class="mono">${r}</span></li>`)}
          ${[...preview.data.records.updated].map((r) => html`<li key=${r}><span class="chip">mark uninstalled</span> record <span class="mono">${r}</span></li>`)}
        </ul>`}
    </${ActionDialog}>
  </div>`;
}
