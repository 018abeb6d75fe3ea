/**
 * The kind-specific part of the Overview tab: the fields an operator looks at first for each kind.
 * `summaryFor(resource)` returns a component, or null for kinds shown with the generic metadata only.
 * To add a kind, write a component taking {object, context} and register it in SUMMARIES.
 */
import { html, useState } from "../../lib/ui.js";
import { Link, paths } from "../../router.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { Age } from "../../components/Age.js";
import { CompactTable, Conditions, LabelChips, PropertyList, Section } from "../../components/Properties.js";
import { SecretData } from "./SecretData.js";
import { PodContainers } from "./PodContainers.js";
import { ForwardDialog } from "./ForwardAction.js";
import { Icon } from "../../components/Icon.js";

const mono = (value) => (value === undefined || value === null || value === "" ? null : html`<span class="mono">${value}</span>`);
const count = (value) => Number(value ?? 0);

function ratioBadge(ready, total) {
  return html`<${StatusBadge} value=${`${count(ready)}/${count(total)}`} />`;
}

function containerState(status) {
  const state = status?.state ?? {};
  if (state.running) return html`<${StatusBadge} value="Running" tone="ok" />`;
  if (state.waiting) return html`<${StatusBadge} value=${state.waiting.reason || "Waiting"} />`;
  if (state.terminated) return html`<${StatusBadge} value=${state.terminated.reason || "Terminated"} tone=${state.terminated.exitCode === 0 ? "" : "error"} />`;
  return html`<span class="muted">—</span>`;
}

/**
 * "Forward" beside one port, where GET /kinds says the kind can be forwarded to and the user may (`can.portForward`,
 * from the registry's port_forward capability): opens the Forward dialog with this port chosen.
 * @param {{object: object, context: object, port: number, protocol?: string, label: string}} props
 */
function ForwardPort({ object, context, port, protocol, label }) {
  const [open, setOpen] = useState(false);
  if (!context.can?.portForward || !object.metadata?.namespace || (protocol ?? "TCP") !== "TCP") return null;
  return html`<button type="button" class="button button-ghost button-sm forward-port-button" onClick=${() => setOpen(true)}
      aria-label=${`Forward ${label}`} title="Forward a local port of the KubeVision machine to this port">
      <${Icon} name="link" size=${12} /> Forward</button>
    ${open && html`<${ForwardDialog} open=${open} onClose=${() => setOpen(false)} clusterId=${context.clusterId}
      resource=${context.resource} name=${object.metadata.name} namespace=${object.metadata.namespace} object=${object}
      preferredPort=${port} />`}`;
}

function ports(container, forward) {
  const list = (container.ports ?? []).map((p) => {
    const text = `${p.containerPort}/${p.protocol ?? "TCP"}${p.name ? ` (${p.name})` : ""}`;
    return html`<span class="port-item"><span class="mono">${text}</span>${forward?.(p, `port ${text} of ${container.name}`)}</span>`;
  });
  return list.length ? html`<span class="port-list">${list}</span>` : null;
}

function ContainersTable({ containers, statuses, title = "Containers", forward }) {
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  const rows = (containers ?? []).map((c) => {
    const status = byName.get(c.name);
    return [html`<strong class="mono">${c.name}</strong>`, html`<span class="mono image">${c.image}</span>`,
      status ? html`<${StatusBadge} value=${status.ready ? "Ready" : "Not ready"} tone=${status.ready ? "ok" : "warn"} />` : null,
      status ? html`<span class="mono">${status.restartCount ?? 0}</span>` : null, containerState(status), ports(c, forward)];
  });
  return html`<${Section} title=${title}>
    <${CompactTable} label=${title} columns=${["Name", "Image", "Ready", "Restarts", "State", "Ports"]} rows=${rows} />
  </${Section}>`;
}

function PodSummary({ object, context }) {
  const { spec = {}, status = {} } = object;
  const phase = object.metadata?.deletionTimestamp ? "Terminating" : status.phase;
  const ready = (status.containerStatuses ?? []).filter((c) => c.ready).length;
  const restarts = (status.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
  return html`<${Section} title="Status">
      <${PropertyList} rows=${[
        ["Phase", html`<${StatusBadge} value=${phase ?? "Unknown"} />${status.reason ? html` <span class="muted">${status.reason}</span>` : ""}`],
        ["Ready", ratioBadge(ready, (spec.containers ?? []).length)],
        ["Restarts", mono(restarts)],
        ["Node", spec.nodeName ? html`<${Link} class="mono" href=${paths.detail(context.clusterId, "", "nodes", spec.nodeName)}>${spec.nodeName}</${Link}>` : html`<span class="muted">Not scheduled</span>`],
        ["Pod IP", mono((status.podIPs ?? []).map((ip) => ip.ip).join(", ") || status.podIP)],
        ["Host IP", mono(status.hostIP)],
        ["QoS class", status.qosClass],
        ["Service account", mono(spec.serviceAccountName)],
        ["Restart policy", spec.restartPolicy],
        ["Started", status.startTime ? html`<${Age} value=${status.startTime} suffix=" ago" />` : null],
        ["Message", status.message],
      ]} />
    </${Section}>
    ${(spec.initContainers ?? []).length > 0 && html`<${ContainersTable} title="Init containers" containers=${spec.initContainers} statuses=${status.initContainerStatuses} />`}
    <${ContainersTable} containers=${spec.containers} statuses=${status.containerStatuses}
      forward=${(p, label) => html`<${ForwardPort} object=${object} context=${context} port=${p.containerPort} protocol=${p.protocol} label=${label} />`} />
    <${Section} title="Conditions"><${Conditions} conditions=${status.conditions} /></${Section}>
    <${PodContainers} object=${object} context=${context} />`;
}

function strategyText(strategy) {
  if (!strategy) return null;
  const rolling = strategy.rollingUpdate;
  const details = rolling ? Object.entries(rolling).map(([k, v]) => `${k} ${v}`).join(", ") : "";
  return html`${strategy.type ?? "—"}${details ? html` <span class="muted">(${details})</span>` : ""}`;
}

function images(template) {
  const list = [...(template?.spec?.initContainers ?? []), ...(template?.spec?.containers ?? [])];
  if (!list.length) return null;
  return html`<ul class="plain-list">${list.map((c) => html`<li key=${c.name} class="mono"><span class="muted">${c.name}:</span> ${c.image}</li>`)}</ul>`;
}

/** Links from a selector's labels to the pods list of the object's namespace filtered by that label. */
function podsWithLabel(context, object) {
  return (key, value) => `${paths.list(context.clusterId, object.metadata?.namespace, "pods")}?${new URLSearchParams({ labelSelector: `${key}=${value}` })}`;
}

function selector(sel, hrefFor) {
  if (!sel) return null;
  const expressions = (sel.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} ${(e.values ?? []).join(",")}`);
  return html`<${LabelChips} values=${sel.matchLabels ?? (sel.matchExpressions ? {} : sel)} hrefFor=${hrefFor} />${expressions.length ? html`<div class="mono small">${expressions.join("; ")}</div>` : ""}`;
}

function WorkloadSummary({ object, context }) {
  const { spec = {}, status = {} } = object;
  const kind = object.kind;
  const desired = kind === "DaemonSet" ? status.desiredNumberScheduled : spec.replicas ?? 1;
  const ready = kind === "DaemonSet" ? status.numberReady : status.readyReplicas;
  const updated = kind === "DaemonSet" ? status.updatedNumberScheduled : status.updatedReplicas;
  const available = kind === "DaemonSet" ? status.numberAvailable : status.availableReplicas;
  return html`<${Section} title="Status">
      <div class="stat-row">
        <${Stat} label="Desired" value=${count(desired)} />
        <${Stat} label="Ready" value=${count(ready)} tone=${count(ready) >= count(desired) ? "ok" : count(ready) === 0 && count(desired) > 0 ? "error" : "warn"} />
        ${kind !== "ReplicaSet" && html`<${Stat} label="Updated" value=${count(updated)} />`}
        <${Stat} label="Available" value=${count(available)} />
      </div>
      <${PropertyList} rows=${[
        ["Strategy", strategyText(spec.strategy ?? spec.updateStrategy)],
        ["Service name", mono(spec.serviceName)],
        ["Pod management", spec.podManagementPolicy],
        ["Min ready seconds", spec.minReadySeconds ? `${spec.minReadySeconds}s` : null],
        ["Revision history limit", spec.revisionHistoryLimit],
        ["Paused", spec.paused ? "Yes" : null],
        ["Selector", selector(spec.selector, podsWithLabel(context, object))],
        ["Images", images(spec.template)],
        ["Observed generation", status.observedGeneration !== undefined ? mono(`${status.observedGeneration} of ${object.metadata?.generation ?? "?"}`) : null],
      ]} />
    </${Section}>
    ${status.conditions && html`<${Section} title="Conditions"><${Conditions} conditions=${status.conditions} /></${Section}>`}`;
}

function Stat({ label, value, tone }) {
  return html`<div class="stat"><div class=${`stat-number ${tone ? `text-${tone}` : ""}`}>${value}</div><div class="stat-caption">${label}</div></div>`;
}

function ServiceSummary({ object, context }) {
  const { spec = {}, status = {} } = object;
  const ingress = (status.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname);
  const rows = (spec.ports ?? []).map((p) => [p.name ? mono(p.name) : null, mono(p.port), mono(p.targetPort), p.protocol ?? "TCP", mono(p.nodePort),
    html`<${ForwardPort} object=${object} context=${context} port=${p.port} protocol=${p.protocol} label=${`port ${p.name ? `${p.name} · ` : ""}${p.port}`} />`]);
  return html`<${Section} title="Service">
      <${PropertyList} rows=${[
        ["Type", html`<span class="chip">${spec.type ?? "ClusterIP"}</span>`],
        ["Cluster IP", mono((spec.clusterIPs ?? [spec.clusterIP]).filter(Boolean).join(", "))],
        ["External IPs", mono([...(spec.externalIPs ?? []), ...ingress].join(", "))],
        ["External name", mono(spec.externalName)],
        ["Session affinity", spec.sessionAffinity],
        ["Selector", spec.selector ? html`<${LabelChips} values=${spec.selector} hrefFor=${podsWithLabel(context, object)} />` : html`<span class="muted">None (endpoints managed manually)</span>`],
      ]} />
    </${Section}>
    <${Section} title="Ports">
      <${CompactTable} label="Ports" columns=${["Name", "Port", "Target port", "Protocol", "Node port", ""]} rows=${rows} empty="No ports." />
    </${Section}>`;
}

const NODE_PRESSURE = ["MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"];

function NodeSummary({ object }) {
  const { spec = {}, status = {} } = object;
  const info = status.nodeInfo ?? {};
  const ready = (status.conditions ?? []).find((c) => c.type === "Ready");
  const resources = [...new Set([...Object.keys(status.capacity ?? {}), ...Object.keys(status.allocatable ?? {})])].sort();
  return html`<${Section} title="Node">
      <${PropertyList} rows=${[
        ["Status", html`<${StatusBadge} value=${ready?.status === "True" ? "Ready" : "NotReady"} />${spec.unschedulable ? html` <span class="chip chip-warn">Unschedulable</span>` : ""}`],
        ["Kubelet version", mono(info.kubeletVersion)],
        ["OS image", info.osImage],
        ["Kernel", mono(info.kernelVersion)],
        ["Container runtime", mono(info.containerRuntimeVersion)],
        ["Architecture", info.architecture && `${info.operatingSystem ?? ""}/${info.architecture}`],
        ["Pod CIDR", mono(spec.podCIDR)],
        ["Taints", (spec.taints ?? []).length ? html`<div class="chips">${spec.taints.map((t) => html`<span class="chip mono" key=${t.key}>${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}</span>`)}</div>` : null],
      ]} />
    </${Section}>
    <${Section} title="Addresses">
      <${CompactTable} label="Addresses" columns=${["Type", "Address"]} rows=${(status.addresses ?? []).map((a) => [a.type, mono(a.address)])} />
    </${Section}>
    <${Section} title="Capacity">
      <${CompactTable} label="Capacity" columns=${["Resource", "Capacity", "Allocatable"]}
        rows=${resources.map((r) => [mono(r), mono(status.capacity?.[r]), mono(status.allocatable?.[r])])} />
    </${Section}>
    <${Section} title="Conditions"><${Conditions} conditions=${status.conditions} invert=${NODE_PRESSURE} /></${Section}>`;
}

function bytes(text) {
  const size = new TextEncoder().encode(text ?? "").length;
  return size < 1024 ? `${size} B` : `${(size / 1024).toFixed(1)} KiB`;
}

function ConfigMapSummary({ object }) {
  const data = Object.entries(object.data ?? {});
  const binary = Object.entries(object.binaryData ?? {});
  return html`<${Section} title=${`Data (${data.length + binary.length} key${data.length + binary.length === 1 ? "" : "s"})`}>
    ${data.length + binary.length === 0 ? html`<p class="muted">This ConfigMap has no data.</p>` : html`<div class="kv-list">
      ${data.map(([key, value]) => html`<details class="kv-item" key=${key} open=${data.length <= 6}>
        <summary><span class="mono kv-key">${key}</span><span class="muted small">${bytes(value)}</span></summary>
        <pre class="kv-value">${value}</pre>
      </details>`)}
      ${binary.map(([key, value]) => html`<div class="kv-item kv-binary" key=${key}><span class="mono kv-key">${key}</span>
        <span class="muted small">binary, ${Math.floor((value.length * 3) / 4)} bytes</span></div>`)}
    </div>`}
  </${Section}>`;
}

function JobSummary({ object }) {
  const { spec = {}, status = {} } = object;
  return html`<${Section} title="Job">
      <${PropertyList} rows=${[
        ["Completions", ratioBadge(status.succeeded, spec.completions ?? 1)],
        ["Parallelism", spec.parallelism],
        ["Active", status.active], ["Failed", status.failed],
        ["Started", status.startTime ? html`<${Age} value=${status.startTime} suffix=" ago" />` : null],
        ["Completed", status.completionTime ? html`<${Age} value=${status.completionTime} suffix=" ago" />` : null],
        ["Images", images(spec.template)],
      ]} />
    </${Section}>
    ${status.conditions && html`<${Section} title="Conditions"><${Conditions} conditions=${status.conditions} /></${Section}>`}`;
}

function CronJobSummary({ object }) {
  const { spec = {}, status = {} } = object;
  return html`<${Section} title="CronJob">
    <${PropertyList} rows=${[
      ["Schedule", mono(spec.schedule)], ["Time zone", spec.timeZone],
      ["Suspended", spec.suspend ? html`<span class="chip chip-warn">Suspended</span>` : "No"],
      ["Concurrency", spec.concurrencyPolicy],
      ["Active jobs", (status.active ?? []).length],
      ["Last schedule", status.lastScheduleTime ? html`<${Age} value=${status.lastScheduleTime} suffix=" ago" />` : null],
      ["Last success", status.lastSuccessfulTime ? html`<${Age} value=${status.lastSuccessfulTime} suffix=" ago" />` : null],
      ["Images", images(spec.jobTemplate?.spec?.template)],
    ]} />
  </${Section}>`;
}

const SUMMARIES = {
  pods: PodSummary,
  deployments: WorkloadSummary,
  statefulsets: WorkloadSummary,
  daemonsets: WorkloadSummary,
  replicasets: WorkloadSummary,
  services: ServiceSummary,
  nodes: NodeSummary,
  configmaps: ConfigMapSummary,
  secrets: SecretData,
  jobs: JobSummary,
  cronjobs: CronJobSummary,
};

/**
 * The summary component of a kind, or null.
 * @param {string} resource plural resource name
 */
export function summaryFor(resource) {
  return SUMMARIES[resource] ?? null;
}
