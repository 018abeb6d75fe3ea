/**
 * "Forward" on pod, service and workload pages (shown when GET /kinds says the kind can be forwarded to and the
 * user may): a dialog listing the object's TCP ports, each with its own Forward button, an optional local port
 * and "Save"; the new forward's local address (a link for HTTP ports) is shown once it is made.
 */
import { html, useState } from "../../lib/ui.js";
import { createPortForward, forwardUrl } from "../../api/portForwards.js";
import { Link, paths } from "../../router.js";
import { Modal } from "../../components/Modal.js";
import { Icon } from "../../components/Icon.js";

/**
 * The TCP ports a forward can name: a Service's ports, else the containers' ports (of the pod or pod template).
 * @param {string} resource
 * @param {object} object
 * @returns {Array<{key: string, label: string, port: number|string}>}
 */
export function forwardablePorts(resource, object) {
  const tcp = (p) => (p.protocol ?? "TCP") === "TCP";
  if (resource === "services") {
    return (object?.spec?.ports ?? []).filter(tcp).map((p) => ({
      key: `s${p.port}`, label: p.name ? `${p.name} · ${p.port}` : String(p.port), port: p.port,
    }));
  }
  const spec = resource === "pods" ? object?.spec : object?.spec?.template?.spec;
  return (spec?.containers ?? []).flatMap((c) => (c.ports ?? []).filter(tcp).map((p) => ({
    key: `${c.name}/${p.containerPort}`,
    label: `${p.name ? `${p.name} · ` : ""}${p.containerPort} (${c.name})`,
    // A workload's pods change: a named port is found in whichever pod serves. A pod's number is exact.
    port: resource !== "pods" && p.name ? p.name : p.containerPort,
  })));
}

/**
 * The header's Forward button and its dialog.
 * @param {{clusterId: string, resource: string, name: string, namespace: string, object: object}} props
 */
export function ForwardAction(props) {
  const [open, setOpen] = useState(false);
  return html`<button type="button" class="button" onClick=${() => setOpen(true)}>
      <${Icon} name="link" size=${14} /> Forward</button>
    <${ForwardDialog} open=${open} onClose=${() => setOpen(false)} ...${props} />`;
}

/**
 * The forward dialog of one object (the detail page's Forward button, the list's row menu, the Forward beside a port
 * on the Overview tab: `preferredPort` is then listed first, marked and focused, so Enter forwards it).
 * @param {{open: boolean, onClose: () => void, clusterId: string, resource: string, name: string, namespace: string,
 *          object: object, preferredPort?: number|string}} props
 */
export function ForwardDialog({ open, onClose, clusterId, resource, name, namespace, object, preferredPort }) {
  const [localPort, setLocalPort] = useState("");
  const [otherPort, setOtherPort] = useState("");
  const [saved, setSaved] = useState(false);
  const [state, setState] = useState({ busy: false, error: null, forward: null });
  const offered = forwardablePorts(resource, object);
  const preferred = preferredPort === undefined ? undefined : offered.find((p) => String(p.port) === String(preferredPort));
  const ports = preferred ? [preferred, ...offered.filter((p) => p !== preferred)] : offered;

  const close = () => {
    onClose();
    setState({ busy: false, error: null, forward: null });
  };
  const start = async (port) => {
    setState({ busy: true, error: null, forward: null });
    try {
      const forward = await createPortForward({
        cluster: Number(clusterId), namespace, kind: resource, name, port: /^\d+$/.test(String(port)) ? Number(port) : port,
        ...(localPort ? { localPort: Number(localPort) } : {}), saved,
      });
      setState({ busy: false, error: null, forward });
    } catch (error) {
      setState({ busy: false, error, forward: null });
    }
  };
  const forward = state.forward;
  const url = forward && forwardUrl(forward);

  return html`<${Modal} open=${open} title=${`Forward a port of ${name}`} onClose=${close} busy=${state.busy}
        actions=${html`<${Link} class="button button-ghost" href=${paths.portForwards()}>All port forwards</${Link}>
          <button type="button" class="button" onClick=${close}>Close</button>`}>
      <p class="muted small">From a local port of the KubeVision machine (127.0.0.1) to ${resource === "pods" ? "this pod"
        : `a ready pod of this ${resource === "services" ? "service" : "workload"}; it follows to the next pod when that one goes away`}.</p>
      <div class="forward-options">
        <div class="field"><label class="field-label" for="forward-local-port">Local port</label>
          <input id="forward-local-port" type="number" min="0" max="65535" placeholder="any free port"
            value=${localPort} onInput=${(e) => setLocalPort(e.currentTarget.value)} /></div>
        <label class="checkbox-row"><input type="checkbox" checked=${saved} onChange=${(e) => setSaved(e.currentTarget.checked)} />
          Save (start again with the server)</label>
      </div>
      <ul class="forward-ports" aria-label="Ports">
        ${ports.map((p) => html`<li key=${p.key} class=${`forward-port${p === preferred ? " forward-port-chosen" : ""}`}
          aria-current=${p === preferred ? "true" : undefined}><span class="mono">${p.label}</span>
          <button type="button" class="button button-primary" disabled=${state.busy} onClick=${() => start(p.port)}
            autofocus=${p === preferred} aria-label=${`Forward port ${p.label}`}>Forward</button></li>`)}
        <li class="forward-port">
          <span class="field"><input aria-label="Another port (number or name)" placeholder=${ports.length ? "another port" : "port number or name"}
            value=${otherPort} onInput=${(e) => setOtherPort(e.currentTarget.value)} /></span>
          <button type="button" class="button" disabled=${state.busy || !otherPort.trim()} onClick=${() => start(otherPort.trim())}>Forward</button></li>
      </ul>
      ${state.error && html`<div class="notice notice-error" role="alert"><${Icon} name="alert" size=${14} /> ${state.error.message}</div>`}
      ${forward && html`<div class="notice forward-result" role="status">
        <${Icon} name="check" size=${14} /> Forwarding <span class="mono forward-address">${forward.bindAddress}:${forward.localPort}</span>${" → "}${forward.kind}/${forward.name}:${forward.port}
        ${url && html` <a href=${url} target="_blank" rel="noopener noreferrer" class="forward-open">Open</a>`}
      </div>`}
    </${Modal}>`;
}
