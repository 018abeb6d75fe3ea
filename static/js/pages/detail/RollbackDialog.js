/**
 * Roll a deployment back: the rollout history (revision, images, change cause, age), and for the
 * chosen revision a diff of its pod template against the current one (YAML, computed in the
 * browser), then the rollback with its kubectl equivalent.
 */
import { html, cx, useEffect, useState } from "../../lib/ui.js";
import { stringify } from "yaml";
import { unifiedDiff } from "../../lib/lineDiff.js";
import { deploymentHistory, rollbackDeployment } from "../../api/actions.js";
import { fetchObject } from "../../api/resources.js";
import { pushToast } from "../../state/toasts.js";
import { ActionDialog } from "../../components/ActionDialog.js";
import { DiffView } from "../../components/DiffView.js";
import { Age } from "../../components/Age.js";
import { Spinner } from "../../components/Spinner.js";

/** A pod template as YAML, without the ReplicaSet's pod-template-hash label. */
function templateYaml(template) {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels["pod-template-hash"];
    if (!Object.keys(copy.metadata.labels).length) delete copy.metadata.labels;
  }
  if (copy.metadata && !Object.keys(copy.metadata).length) delete copy.metadata;
  return stringify(copy, { sortMapEntries: true });
}

/**
 * @param {{open: boolean, clusterId: string, namespace: string, name: string, deployment: object,
 *          onClose: (done: boolean) => void}} props
 */
export function RollbackDialog({ open, clusterId, namespace, name, deployment, onClose }) {
  const [history, setHistory] = useState({ loading: true, items: [], error: null });
  const [revision, setRevision] = useState(null);
  const [diff, setDiff] = useState({ loading: false, text: "", error: null });

  useEffect(() => {
    if (!open) return undefined;
    const controller = new AbortController();
    setHistory({ loading: true, items: [], error: null });
    setRevision(null);
    deploymentHistory(clusterId, namespace, name, { signal: controller.signal }).then((items) => {
      setHistory({ loading: false, items: items ?? [], error: null });
      const previous = (items ?? []).find((item) => !item.current);
      setRevision(previous ? previous.revision : null);
    }, (error) => !controller.signal.aborted && setHistory({ loading: false, items: [], error }));
    return () => controller.abort();
  }, [open, clusterId, namespace, name]);

  const chosen = history.items.find((item) => item.revision === revision);
  useEffect(() => {
    if (!open || !chosen) return undefined;
    const controller = new AbortController();
    setDiff({ loading: true, text: "", error: null });
    fetchObject(clusterId, "replicasets", chosen.replicaSet, { namespace, signal: controller.signal }).then((rs) => {
      const text = unifiedDiff(templateYaml(deployment?.spec?.template), templateYaml(rs?.spec?.template), {
        oldLabel: "current", newLabel: `revision ${chosen.revision}`,
      });
      setDiff({ loading: false, text, error: null });
    }, (error) => !controller.signal.aborted && setDiff({ loading: false, text: "", error }));
    return () => controller.abort();
  }, [open, chosen?.replicaSet]);

  const paused = Boolean(deployment?.spec?.paused);
  return html`<${ActionDialog} open=${open} wide title=${`Roll back ${name}`} confirmLabel=${chosen ? `Roll back to revision ${chosen.revision}` : "Roll back"}
      disabled=${!chosen || chosen.current || paused}
      description=${paused ? html`<span class="text-warn">This deployment is paused: resume it before a rollback.</span>`
        : "Choose the revision whose pod template should be put back. A rollback creates a new revision."}
      kubectl=${`kubectl rollout undo deployment/${name} -n ${namespace}${chosen ? ` --to-revision=${chosen.revision}` : ""}`}
      onConfirm=${async () => {
        const result = await rollbackDeployment(clusterId, namespace, name, chosen.revision);
        pushToast({ kind: "success", message: result?.skipped ? "Already at that revision." : `Rolled back ${name} to revision ${chosen.revision}` });
      }}
      onClose=${onClose}>
    ${history.loading && html`<div class="loading-inline"><${Spinner} size="sm" inline /> Loading rollout history…</div>`}
    ${history.error && html`<div class="form-error" role="alert">${history.error.message}</div>`}
    ${!history.loading && !history.error && html`<table class="data-table history-table" aria-label="Rollout history">
      <thead><tr><th></th><th>Revision</th><th>Images</th><th>Change cause</th><th>Pods</th><th>Created</th></tr></thead>
      <tbody>${history.items.map((item) => html`<tr key=${item.revision} class=${cx(item.revision === revision && "is-selected")}
          onClick=${() => setRevision(item.revision)}>
        <td><input type="radio" name="revision" checked=${item.revision === revision} aria-label=${`Revision ${item.revision}`}
          onChange=${() => setRevision(item.revision)} /></td>
        <td class="mono">${item.revision}${item.current && html` <span class="chip">current</span>`}</td>
        <td class="mono history-images">${(item.images ?? []).map((image) => html`<div key=${image}>${image}</div>`)}</td>
        <td>${item.changeCause || html`<span class="muted">—</span>`}</td>
        <td>${item.readyReplicas ?? 0}/${item.replicas ?? 0}</td>
        <td>${item.createdAt ? html`<${Age} value=${item.createdAt} suffix=" ago" />` : "—"}</td>
      </tr>`)}</tbody>
    </table>`}
    ${chosen && html`<div class="rollback-diff">
      <div class="field-label">Pod template: current → revision ${chosen.revision}</div>
      ${diff.loading ? html`<div class="loading-inline"><${Spinner} size="sm" inline /> Comparing…</div>`
        : diff.error ? html`<div class="form-error">${diff.error.message}</div>`
        : html`<${DiffView} diff=${diff.text} />`}
    </div>`}
  </${ActionDialog}>`;
}
