/**
 * Action buttons and dialogs for one object's header: scale, restart, rollback, pause/resume
 * (deployments), trigger (cronjobs), cordon/uncordon (nodes). Only what GET /kinds offers (the kind can and
 * the user may) is shown; each dialog shows the kubectl equivalent and asks for confirmation. ScaleDialog and
 * RestartDialog are exported for the list pages' row menu (RowActions.js).
 */
import { html, useEffect, useState } from "../../lib/ui.js";
import { kubectlType } from "../../lib/kinds.js";
import { abilities, userMay } from "../../lib/permissions.js";
import {
  restartWorkload, scaleWorkload, setDeploymentPaused, setNodeCordoned, triggerCronJob,
} from "../../api/actions.js";
import { pushToast } from "../../state/toasts.js";
import { ActionDialog } from "../../components/ActionDialog.js";
import { Icon } from "../../components/Icon.js";
import { RollbackDialog } from "./RollbackDialog.js";
import { DrainDialog } from "./DrainDialog.js";

const done = (message) => pushToast({ kind: "success", message });

/**
 * Which actions apply to this object for this user (GET /kinds: the kind's capabilities and the user's verbs).
 * @param {object|null|undefined} kind
 * @param {object[]} kinds every kind of the cluster (triggering a CronJob creates a Job)
 * @returns {{scale: boolean, restart: boolean, rollback: boolean, pause: boolean, trigger: boolean, cordon: boolean,
 *            drain: boolean}}
 */
export function workloadActions(kind, kinds) {
  const can = abilities(kind, kinds);
  const write = userMay(kind, "write");
  const resource = kind?.name;
  return {
    scale: can.scale,
    restart: can.restart,
    rollback: write && resource === "deployments",
    pause: write && resource === "deployments",
    trigger: resource === "cronjobs" && userMay(kind, "read") && userMay(kinds?.find((k) => k.name === "jobs"), "write"),
    cordon: write && resource === "nodes",
    drain: can.drain,
  };
}

/**
 * @param {{clusterId: string, resource: string, name: string, namespace?: string, object: object, kind: object,
 *          kinds: object[], onChanged: () => void}} props
 */
export function WorkloadActions({ clusterId, resource, name, namespace, object, kind, kinds, onChanged }) {
  const [dialog, setDialog] = useState(null);
  const can = workloadActions(kind, kinds);
  const { ns, target } = kubectlTarget(kind, resource, name, namespace);
  const paused = Boolean(object?.spec?.paused);
  const cordoned = Boolean(object?.spec?.unschedulable);

  const close = (done) => {
    setDialog(null);
    if (done) onChanged();
  };
  const objectProps = { clusterId, resource, name, namespace, kind, onClose: close };

  return html`
    ${can.scale && html`<button type="button" class="button" onClick=${() => setDialog("scale")}><${Icon} name="scale" size=${14} /> Scale</button>`}
    ${can.restart && html`<button type="button" class="button" onClick=${() => setDialog("restart")}><${Icon} name="restart" size=${14} /> Restart</button>`}
    ${can.rollback && html`<button type="button" class="button" onClick=${() => setDialog("rollback")}><${Icon} name="history" size=${14} /> Rollback</button>`}
    ${can.pause && html`<button type="button" class="button" onClick=${() => setDialog("pause")}>
      <${Icon} name=${paused ? "play" : "pause"} size=${14} /> ${paused ? "Resume" : "Pause"}</button>`}
    ${can.trigger && html`<button type="button" class="button" onClick=${() => setDialog("trigger")}><${Icon} name="zap" size=${14} /> Trigger now</button>`}
    ${can.cordon && html`<button type="button" class="button" onClick=${() => setDialog("cordon")}>
      <${Icon} name=${cordoned ? "check" : "ban"} size=${14} /> ${cordoned ? "Uncordon" : "Cordon"}</button>`}
    ${can.drain && html`<button type="button" class="button" onClick=${() => setDialog("drain")}><${Icon} name="download" size=${14} /> Drain</button>`}

    ${can.scale && html`<${ScaleDialog} open=${dialog === "scale"} object=${object} ...${objectProps} />`}
    ${can.restart && html`<${RestartDialog} open=${dialog === "restart"} ...${objectProps} />`}

    ${can.rollback && html`<${RollbackDialog} open=${dialog === "rollback"} clusterId=${clusterId} namespace=${namespace}
      name=${name} deployment=${object} onClose=${close} />`}

    ${can.pause && html`<${ActionDialog} open=${dialog === "pause"} title=${`${paused ? "Resume" : "Pause"} the rollout of ${name}?`}
      confirmLabel=${paused ? "Resume" : "Pause"}
      description=${paused ? "Changes to the pod template will roll out again." : "Changes to the pod template will not roll out until you resume. Running pods are not affected."}
      kubectl=${`kubectl rollout ${paused ? "resume" : "pause"} ${target}${ns}`}
      onConfirm=${async () => { await setDeploymentPaused(clusterId, namespace, name, !paused); done(`${paused ? "Resumed" : "Paused"} ${name}`); }}
      onClose=${close} />`}

    ${can.trigger && html`<${ActionDialog} open=${dialog === "trigger"} title=${`Run ${name} now?`} confirmLabel="Create job"
      description="A Job is created from this CronJob's job template right away, outside the schedule."
      kubectl=${`kubectl create job --from=cronjob/${name} ${name}-manual-xxxxx${ns}`}
      onConfirm=${async () => { const result = await triggerCronJob(clusterId, namespace, name); done(`Created job ${result?.job ?? result?.name ?? ""}`.trim()); }}
      onClose=${close} />`}

    ${can.drain && html`<${DrainDialog} open=${dialog === "drain"} clusterId=${clusterId} name=${name} onClose=${close} />`}

    ${can.cordon && html`<${ActionDialog} open=${dialog === "cordon"} title=${`${cordoned ? "Uncordon" : "Cordon"} node ${name}?`}
      confirmLabel=${cordoned ? "Uncordon" : "Cordon"} danger=${!cordoned}
      description=${cordoned ? "New pods may be scheduled on this node again." : "No new pods will be scheduled on this node. Pods already running stay."}
      kubectl=${`kubectl ${cordoned ? "uncordon" : "cordon"} ${name}`}
      onConfirm=${async () => { await setNodeCordoned(clusterId, name, !cordoned); done(`${cordoned ? "Uncordoned" : "Cordoned"} ${name}`); }}
      onClose=${close} />`}
  `;
}

/** `kubectl` arguments naming one object: its type and name, and the ` -n namespace` flag (or ""). */
function kubectlTarget(kind, resource, name, namespace) {
  return { ns: namespace ? ` -n ${namespace}` : "", target: `${kubectlType(kind) || resource} ${name}` };
}

/**
 * @typedef {{open: boolean, clusterId: string, resource: string, name: string, namespace?: string, kind: object,
 *            onClose: (done: boolean) => void}} ObjectDialogProps
 *   `onClose(true)` once the action was done, `onClose(false)` when cancelled
 */

/**
 * Scale one workload (the scale subresource): a replicas stepper starting at the object's spec.replicas, the kubectl
 * equivalent, a toast once done. The detail page's header and the list's row menu both open it.
 * @param {ObjectDialogProps & {object: object}} props
 */
export function ScaleDialog({ open, clusterId, resource, name, namespace, kind, object, onClose }) {
  const current = object?.spec?.replicas ?? 0;
  const [replicas, setReplicas] = useState(current);
  useEffect(() => {
    if (open) setReplicas(current);
  }, [open]);
  const { ns, target } = kubectlTarget(kind, resource, name, namespace);
  return html`<${ActionDialog} open=${open} title=${`Scale ${name}`} confirmLabel="Scale"
      disabled=${!Number.isInteger(replicas) || replicas < 0}
      description=${html`Currently <strong>${current}</strong> replica${current === 1 ? "" : "s"}${object?.status?.readyReplicas !== undefined ? html`, ${object.status.readyReplicas} ready` : ""}.`}
      kubectl=${`kubectl scale ${target}${ns} --replicas=${Number.isInteger(replicas) ? replicas : current}`}
      onConfirm=${async () => { await scaleWorkload(clusterId, namespace, resource, name, replicas); done(`Scaled ${name} to ${replicas}`); }}
      onClose=${onClose}>
    <div class="field scale-field">
      <label class="field-label" for="scale-replicas">Replicas</label>
      <div class="stepper">
        <button type="button" class="button" aria-label="One fewer" onClick=${() => setReplicas((r) => Math.max(0, r - 1))}>−</button>
        <input id="scale-replicas" type="number" min="0" max="10000" step="1" value=${replicas}
          onInput=${(e) => setReplicas(e.currentTarget.value === "" ? NaN : Number(e.currentTarget.value))} />
        <button type="button" class="button" aria-label="One more" onClick=${() => setReplicas((r) => (Number.isInteger(r) ? r : 0) + 1)}>+</button>
      </div>
      ${replicas === 0 && html`<span class="field-hint text-warn">Scaling to 0 stops every pod.</span>`}
    </div>
  </${ActionDialog}>`;
}

/**
 * Rolling restart of one workload (kubectl rollout restart), confirmed, with a toast once done.
 * @param {ObjectDialogProps} props
 */
export function RestartDialog({ open, clusterId, resource, name, namespace, kind, onClose }) {
  const { ns, target } = kubectlTarget(kind, resource, name, namespace);
  return html`<${ActionDialog} open=${open} title=${`Restart ${name}?`} confirmLabel="Restart"
    description="The pods are replaced gradually according to the update strategy."
    kubectl=${`kubectl rollout restart ${target}${ns}`}
    onConfirm=${async () => { await restartWorkload(clusterId, namespace, resource, name); done(`Restarting ${name}`); }}
    onClose=${onClose} />`;
}
