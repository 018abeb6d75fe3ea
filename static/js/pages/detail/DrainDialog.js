/**
 * Drain a node (kubectl drain): the flags, the server's dry-run list of what will be evicted, skipped and what
 * blocks (re-asked whenever a flag changes), then the drain itself with live progress per pod (GET .../drain
 * polled while it runs). Evictions a PodDisruptionBudget refuses are retried by the server until the timeout and
 * then reported here; nothing is forced.
 */
import { html, useEffect, useRef, useState } from "../../lib/ui.js";
import { drainNode, drainProgress } from "../../api/actions.js";
import { pushToast } from "../../state/toasts.js";
import { Modal } from "../../components/Modal.js";
import { KubectlCommands } from "../../components/KubectlCommands.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { CompactTable } from "../../components/Properties.js";

// How often the dialog asks for the progress of a running drain.
const PROGRESS_POLL_MS = 1000;
const DEFAULT_OPTIONS = { ignoreDaemonSets: true, deleteEmptyDirData: false, force: false, gracePeriodSeconds: "", timeoutSeconds: 300 };
const STATUS_TONES = { evicted: "ok", failed: "error", timedOut: "error", waiting: "warn", evicting: "warn", deleting: "warn" };

/** The request body for the options as edited (an empty grace period: each pod's own). */
function body(options, dryRun) {
  return {
    dryRun, ignoreDaemonSets: options.ignoreDaemonSets, deleteEmptyDirData: options.deleteEmptyDirData, force: options.force,
    gracePeriodSeconds: options.gracePeriodSeconds === "" ? null : Number(options.gracePeriodSeconds),
    timeoutSeconds: Number(options.timeoutSeconds),
  };
}

function kubectlCommand(name, options) {
  const flags = [options.ignoreDaemonSets && "--ignore-daemonsets", options.deleteEmptyDirData && "--delete-emptydir-data",
    options.force && "--force", options.gracePeriodSeconds !== "" && `--grace-period=${options.gracePeriodSeconds}`,
    `--timeout=${options.timeoutSeconds}s`].filter(Boolean);
  return `kubectl drain ${name} ${flags.join(" ")}`;
}

function PodsTable({ report, live }) {
  const rows = report.pods.map((pod) => {
    const why = [pod.reason, pod.budget, live ? pod.message : ""].filter(Boolean).join(" · ");
    const status = live && pod.action === "evict"
      ? html`<${StatusBadge} value=${pod.status} tone=${STATUS_TONES[pod.status] ?? ""} />${pod.attempts > 1 ? html` <span class="muted small">${pod.attempts} attempts</span>` : ""}`
      : html`<${StatusBadge} value=${pod.action === "evict" ? (pod.budget ? "Evict (waits)" : "Evict") : pod.action === "skip" ? "Skip" : "Blocks"}
          tone=${pod.action === "block" ? "error" : pod.budget ? "warn" : pod.action === "skip" ? "" : "ok"} />`;
    return [html`<span class="mono">${pod.namespace}/${pod.name}</span>`, status, why ? html`<span class="small">${why}</span>` : null];
  });
  return html`<div class="drain-table-wrap"><${CompactTable} label=${live ? "Drain progress" : "Drain plan"} columns=${["Pod", live ? "Status" : "Action", "Details"]}
    rows=${rows} empty="No pods run on this node." /></div>`;
}

/**
 * @param {{open: boolean, clusterId: string, name: string, onClose: (done: boolean) => void}} props
 */
export function DrainDialog({ open, clusterId, name, onClose }) {
  const [options, setOptions] = useState(DEFAULT_OPTIONS);
  const [plan, setPlan] = useState({ report: null, error: null, loading: false });
  const [run, setRun] = useState({ running: false, report: null, error: null, finished: false });
  const pollRef = useRef(0);

  useEffect(() => {
    if (open) {
      setOptions(DEFAULT_OPTIONS);
      setRun({ running: false, report: null, error: null, finished: false });
    }
    return () => clearInterval(pollRef.current);
  }, [open]);

  const validTimeout = Number.isInteger(Number(options.timeoutSeconds)) && Number(options.timeoutSeconds) >= 1;
  const validGrace = options.gracePeriodSeconds === "" || (Number.isInteger(Number(options.gracePeriodSeconds)) && Number(options.gracePeriodSeconds) >= 0);
  useEffect(() => {
    if (!open || run.running || run.finished || !validTimeout || !validGrace) return undefined;
    let current = true;
    setPlan((prev) => ({ ...prev, loading: true, error: null }));
    drainNode(clusterId, name, body(options, true)).then(
      (report) => current && setPlan({ report, error: null, loading: false }),
      (error) => current && setPlan({ report: null, error, loading: false }),
    );
    return () => { current = false; };
  }, [open, clusterId, name, options.ignoreDaemonSets, options.deleteEmptyDirData, options.force, options.gracePeriodSeconds, options.timeoutSeconds]);

  const start = async () => {
    setRun({ running: true, report: plan.report, error: null, finished: false });
    pollRef.current = setInterval(() => {
      drainProgress(clusterId, name).then(
        (report) => setRun((prev) => (prev.running && report.state === "running" ? { ...prev, report } : prev)),
        () => {},
      );
    }, PROGRESS_POLL_MS);
    try {
      const report = await drainNode(clusterId, name, body(options, false));
      setRun({ running: false, report, error: null, finished: true });
      pushToast({ kind: "success", message: `Drained ${name}: ${report.counts.evicted} pod${report.counts.evicted === 1 ? "" : "s"} evicted` });
    } catch (error) {
      setRun({ running: false, report: error?.data?.pods ? error.data : null, error, finished: true });
    } finally {
      clearInterval(pollRef.current);
    }
  };

  const set = (patch) => setOptions((prev) => ({ ...prev, ...patch }));
  const blocking = plan.report?.counts?.block ?? 0;
  const shown = run.report ?? plan.report;
  const live = Boolean(run.report) && (run.running || run.finished);
  const actions = html`
    <button type="button" class="button" onClick=${() => onClose(run.finished)} disabled=${run.running}>${run.finished ? "Close" : "Cancel"}</button>
    ${!run.finished && html`<button type="submit" class="button button-danger" disabled=${run.running || plan.loading || !plan.report || blocking > 0}>
      ${run.running ? "Draining…" : "Drain"}</button>`}`;
  return html`<${Modal} open=${open} title=${`Drain node ${name}?`} wide busy=${run.running} class="action-dialog drain-dialog"
      onClose=${() => onClose(run.finished)} onSubmit=${start} actions=${actions}>
    <div class="dialog-message">The node is cordoned, then every pod below marked Evict is evicted through the Eviction API.
      PodDisruptionBudgets are respected: an eviction they refuse is retried until the timeout, never forced.</div>
    <fieldset class="drain-options" disabled=${run.running || run.finished}>
      <label class="checkbox"><input type="checkbox" checked=${options.ignoreDaemonSets} onChange=${(e) => set({ ignoreDaemonSets: e.currentTarget.checked })} /> Ignore DaemonSet pods</label>
      <label class="checkbox"><input type="checkbox" checked=${options.deleteEmptyDirData} onChange=${(e) => set({ deleteEmptyDirData: e.currentTarget.checked })} /> Delete emptyDir data</label>
      <label class="checkbox"><input type="checkbox" checked=${options.force} onChange=${(e) => set({ force: e.currentTarget.checked })} /> Evict pods no controller manages (force)</label>
      <label class="inline-field"><span class="field-label">Grace period (s)</span>
        <input type="number" min="0" step="1" placeholder="pod's own" aria-label="Grace period in seconds" value=${options.gracePeriodSeconds}
          onInput=${(e) => set({ gracePeriodSeconds: e.currentTarget.value })} /></label>
      <label class="inline-field"><span class="field-label">Timeout (s)</span>
        <input type="number" min="1" max="3600" step="1" aria-label="Timeout in seconds" value=${options.timeoutSeconds}
          onInput=${(e) => set({ timeoutSeconds: e.currentTarget.value })} /></label>
    </fieldset>
    ${plan.loading && !live && html`<p class="muted small">Asking the server what a drain would do…</p>`}
    ${plan.error && !live && html`<div class="form-error" role="alert">${plan.error.message}${plan.error.code ? ` (${plan.error.code})` : ""}</div>`}
    ${shown && html`<p class="small drain-summary" aria-live="polite">${live
      ? `${run.running ? "Draining" : run.report.state === "done" ? "Done" : "Stopped"}: ${run.report.counts.evicted} of ${run.report.counts.evict} evicted`
      : `${shown.counts.evict} to evict, ${shown.counts.skip} skipped, ${shown.counts.block} blocking`}</p>
      <${PodsTable} report=${shown} live=${live} />`}
    ${blocking > 0 && !live && html`<p class="form-error" role="alert">${blocking} pod${blocking === 1 ? "" : "s"} block the drain; change the options above or move them first.</p>`}
    ${run.error && html`<div class="form-error" role="alert">${run.error.message}${run.error.code ? ` (${run.error.code})` : ""}</div>`}
    <div class="action-kubectl"><div class="field-label">Equivalent command</div>
      <${KubectlCommands} commands=${[{ label: "kubectl", command: kubectlCommand(name, options) }]} /></div>
  </${Modal}>`;
}
