/**
 * A pod's containers in detail (init, sidecar and app containers, in the order they start) and its volumes: image,
 * state, ports, requests/limits, probes in the words of `kubectl describe`, volume mounts and the environment.
 * Environment values come from GET .../pods/{name}/environment, resolved by the server: Secret values stay the
 * mask unless the user may reveal them and asks to (the server audits it); a source the user may not read is named
 * without a value.
 */
import { html, useEffect, useState } from "../../lib/ui.js";
import { podEnvironment } from "../../api/actions.js";
import { Link, paths } from "../../router.js";
import { Icon } from "../../components/Icon.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { CompactTable, PropertyList, Section } from "../../components/Properties.js";

const MASK = "********";
const PROBES = [["Liveness", "livenessProbe"], ["Readiness", "readinessProbe"], ["Startup", "startupProbe"]];

/** @param {object} container @param {boolean} init */
function containerType(container, init) {
  if (!init) return "app";
  return container.restartPolicy === "Always" ? "sidecar" : "init";
}

/** A probe as `kubectl describe` prints it: the action, then delay, timeout, period and thresholds. */
export function probeText(probe) {
  if (!probe) return null;
  let action = "unknown action";
  if (probe.httpGet) {
    const get = probe.httpGet;
    action = `http-get ${(get.scheme ?? "HTTP").toLowerCase()}://${get.host ?? ""}:${get.port}${get.path ?? "/"}`;
  } else if (probe.tcpSocket) action = `tcp-socket ${probe.tcpSocket.host ?? ""}:${probe.tcpSocket.port}`;
  else if (probe.exec) action = `exec [${(probe.exec.command ?? []).join(" ")}]`;
  else if (probe.grpc) action = `grpc <pod>:${probe.grpc.port} ${probe.grpc.service ?? ""}`.trim();
  return `${action} delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 1}s `
    + `period=${probe.periodSeconds ?? 10}s #success=${probe.successThreshold ?? 1} #failure=${probe.failureThreshold ?? 3}`;
}

const quantities = (values) => {
  const entries = Object.entries(values ?? {});
  return entries.length ? html`<span class="mono">${entries.map(([k, v]) => `${k}: ${v}`).join(", ")}</span>` : null;
};

function stateOf(status) {
  const state = status?.state ?? {};
  if (state.running) return html`<${StatusBadge} value="Running" tone="ok" />`;
  if (state.waiting) {
    return html`<${StatusBadge} value=${state.waiting.reason || "Waiting"} />${state.waiting.message ? html` <span class="muted small">${state.waiting.message}</span>` : ""}`;
  }
  if (state.terminated) {
    const t = state.terminated;
    return html`<${StatusBadge} value=${t.reason || "Terminated"} tone=${t.exitCode === 0 ? "" : "error"} /> <span class="muted small">exit code ${t.exitCode}</span>`;
  }
  return html`<span class="muted">Not started</span>`;
}

function lastTermination(status) {
  const t = status?.lastState?.terminated;
  return t ? html`<span class="mono">${t.reason ?? "Terminated"}, exit code ${t.exitCode}</span>` : null;
}

/** One env entry's value cell: the value, the mask, or why there is none. */
function envValue(entry) {
  if (entry.masked || entry.value === MASK) return html`<span class="env-masked mono" title="Hidden Secret value"><${Icon} name="shield" size=${12} /> ${MASK}</span>`;
  if (entry.value === null || entry.value === undefined) return html`<span class="muted small">${entry.note ?? "—"}</span>`;
  return html`<span class="mono env-value">${entry.value}</span>`;
}

function objectLink(clusterId, namespace, resource, name) {
  return html`<${Link} class="mono" href=${paths.detail(clusterId, namespace, resource, name)}>${name}</${Link}>`;
}

/** Where an env entry's value comes from. */
function envSource(entry, clusterId, namespace) {
  const source = entry.source ?? {};
  switch (source.type) {
    case "value": return html`<span class="muted small">value</span>`;
    case "secretKeyRef":
      return html`<span class="small">Secret ${objectLink(clusterId, namespace, "secrets", source.name)} key <span class="mono">${source.key}</span>${source.optional ? " (optional)" : ""}</span>`;
    case "configMapKeyRef":
      return html`<span class="small">ConfigMap ${objectLink(clusterId, namespace, "configmaps", source.name)} key <span class="mono">${source.key}</span>${source.optional ? " (optional)" : ""}</span>`;
    case "fieldRef": return html`<span class="small">field <span class="mono">${source.fieldPath}</span></span>`;
    case "resourceFieldRef":
      return html`<span class="small">resource <span class="mono">${source.resource}</span>${source.containerName ? ` of ${source.containerName}` : ""}</span>`;
    default: return html`<span class="small mono">${source.type}</span>`;
  }
}

function EnvTable({ name, environment, clusterId, namespace }) {
  if (!environment) return html`<p class="muted small">Loading the environment…</p>`;
  const rows = [];
  for (const entry of environment.env) rows.push([html`<span class="mono">${entry.name}</span>`, envValue(entry), envSource(entry, clusterId, namespace)]);
  for (const from of environment.envFrom) {
    const resource = from.type === "secretRef" ? "secrets" : "configmaps";
    const kind = from.type === "secretRef" ? "Secret" : "ConfigMap";
    const source = html`<span class="small">every key of ${kind} ${objectLink(clusterId, namespace, resource, from.name)}${from.prefix ? html`, prefix <span class="mono">${from.prefix}</span>` : ""}${from.optional ? " (optional)" : ""}</span>`;
    if (!from.variables.length) rows.push([html`<span class="muted">${from.prefix ? `${from.prefix}*` : "*"}</span>`, html`<span class="muted small">${from.note ?? "no keys"}</span>`, source]);
    for (const variable of from.variables) rows.push([html`<span class="mono">${variable.name}</span>`, envValue(variable), source]);
  }
  return html`<${CompactTable} label=${`Environment of ${name}`} columns=${["Name", "Value", "Source"]} rows=${rows} empty="No environment variables." />`;
}

function ContainerCard({ container, type, status, environment, clusterId, namespace }) {
  const ports = (container.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? "TCP"}${p.name ? ` (${p.name})` : ""}`).join(", ");
  const mounts = (container.volumeMounts ?? []).map((m) => [html`<span class="mono">${m.mountPath}</span>`, html`<span class="mono">${m.name}</span>`,
    m.subPath || m.subPathExpr ? html`<span class="mono">${m.subPath || m.subPathExpr}</span>` : null, m.readOnly ? "read-only" : "read-write"]);
  return html`<${Section} class="container-detail" title=${html`<span class="mono">${container.name}</span> <span class="chip">${type}</span>`}>
    <div class="container-detail-body" role="group" aria-label=${`Container ${container.name}`}>
      <${PropertyList} rows=${[
        ["Image", html`<span class="mono image">${container.image}</span>`],
        ["State", stateOf(status)],
        ["Last termination", lastTermination(status)],
        ["Restarts", status ? html`<span class="mono">${status.restartCount ?? 0}</span>` : null],
        ["Command", container.command ? html`<span class="mono">${container.command.join(" ")}</span>` : null],
        ["Args", container.args ? html`<span class="mono">${container.args.join(" ")}</span>` : null],
        ["Ports", ports ? html`<span class="mono">${ports}</span>` : null],
        ["Requests", quantities(container.resources?.requests)],
        ["Limits", quantities(container.resources?.limits)],
        ...PROBES.map(([label, key]) => [label, container[key] ? html`<span class="mono probe">${probeText(container[key])}</span>` : null]),
      ]} />
      <h3 class="subheading">Environment</h3>
      <${EnvTable} name=${container.name} environment=${environment} clusterId=${clusterId} namespace=${namespace} />
      <h3 class="subheading">Mounts</h3>
      <${CompactTable} label=${`Mounts of ${container.name}`} columns=${["Path", "Volume", "Sub path", "Access"]} rows=${mounts} empty="No volume mounts." />
    </div>
  </${Section}>`;
}

/**
 * @param {{object: object, context: {clusterId: string}}} props
 */
export function PodContainers({ object, context }) {
  const { spec = {}, status = {}, metadata = {} } = object;
  const [environment, setEnvironment] = useState(null);
  const [revealing, setRevealing] = useState({ busy: false, error: null, shown: false });
  const load = (reveal, signal) => podEnvironment(context.clusterId, metadata.namespace, metadata.name, { reveal, signal });
  useEffect(() => {
    const controller = new AbortController();
    setRevealing({ busy: false, error: null, shown: false });
    load(false, controller.signal).then(setEnvironment, (error) => {
      if (error?.name !== "AbortError") setEnvironment({ containers: [], mayReveal: false, error });
    });
    return () => controller.abort();
  }, [context.clusterId, metadata.namespace, metadata.name, metadata.uid]);

  const toggleReveal = async () => {
    setRevealing({ busy: true, error: null, shown: revealing.shown });
    try {
      setEnvironment(await load(!revealing.shown));
      setRevealing({ busy: false, error: null, shown: !revealing.shown });
    } catch (error) {
      setRevealing({ busy: false, error, shown: revealing.shown });
    }
  };
  const byName = new Map((environment?.containers ?? []).map((c) => [c.name, c]));
  const statuses = new Map([...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].map((s) => [s.name, s]));
  const containers = [...(spec.initContainers ?? []).map((c) => [c, true]), ...(spec.containers ?? []).map((c) => [c, false])];
  const hasMasked = (environment?.containers ?? []).some((c) => c.env.some((e) => e.masked) || c.envFrom.some((f) => f.type === "secretRef" && f.variables.length));
  const action = environment?.mayReveal && (hasMasked || revealing.shown)
    ? html`<button type="button" class="button" onClick=${toggleReveal} disabled=${revealing.busy}>
        <${Icon} name=${revealing.shown ? "eyeOff" : "eye"} size=${14} /> ${revealing.busy ? "Revealing…" : revealing.shown ? "Hide Secret values" : "Reveal Secret values"}</button>`
    : null;
  return html`<div class="pod-containers">
    <div class="pod-containers-header"><h2 class="section-heading">Container details</h2>${action}</div>
    ${environment?.error && html`<div class="inline-error" role="alert"><${Icon} name="alert" size=${14} /> Could not resolve the environment: ${environment.error.message}</div>`}
    ${revealing.error && html`<div class="inline-error" role="alert">${revealing.error.message}</div>`}
    ${containers.map(([container, init]) => html`<${ContainerCard} key=${container.name} container=${container} type=${containerType(container, init)}
      status=${statuses.get(container.name)} environment=${environment?.error ? { env: [], envFrom: [] } : byName.get(container.name)}
      clusterId=${context.clusterId} namespace=${metadata.namespace} />`)}
    <${PodVolumes} volumes=${spec.volumes} clusterId=${context.clusterId} namespace=${metadata.namespace} />
  </div>`;
}

/** The type of a volume (its one source field) and a readable source, linked where it is an object. */
function volumeSource(volume, clusterId, namespace) {
  const type = Object.keys(volume).find((key) => key !== "name") ?? "unknown";
  const source = volume[type] ?? {};
  const link = (resource, name) => objectLink(clusterId, namespace, resource, name);
  switch (type) {
    case "configMap": return [type, html`ConfigMap ${link("configmaps", source.name)}`];
    case "secret": return [type, html`Secret ${link("secrets", source.secretName)}`];
    case "persistentVolumeClaim": return [type, html`PersistentVolumeClaim ${link("persistentvolumeclaims", source.claimName)}${source.readOnly ? " (read-only)" : ""}`];
    case "emptyDir": return [type, [source.medium && `medium ${source.medium}`, source.sizeLimit && `size limit ${source.sizeLimit}`].filter(Boolean).join(", ") || "node disk"];
    case "hostPath": return [type, html`<span class="mono">${source.path}</span>${source.type ? ` (${source.type})` : ""}`];
    case "projected": return [type, (source.sources ?? []).map((s) => {
      const [kind, value] = Object.entries(s)[0] ?? ["?", {}];
      return `${kind}${value?.name ? ` ${value.name}` : ""}`;
    }).join(", ")];
    case "downwardAPI": return [type, (source.items ?? []).map((item) => item.path).join(", ")];
    default: return [type, html`<span class="mono small">${JSON.stringify(source)}</span>`];
  }
}

function PodVolumes({ volumes, clusterId, namespace }) {
  const rows = (volumes ?? []).map((volume) => {
    const [type, source] = volumeSource(volume, clusterId, namespace);
    return [html`<span class="mono">${volume.name}</span>`, html`<span class="chip">${type}</span>`, source];
  });
  return html`<${Section} title="Volumes">
    <${CompactTable} label="Volumes" columns=${["Name", "Type", "Source"]} rows=${rows} empty="This pod has no volumes." />
  </${Section}>`;
}
