/**
 * Port forwards (yours; an admin sees everyone's): state live over the watch socket (`resource: port-forwards`),
 * counters re-read every few seconds, an "Open" link for HTTP ports, Save and Stop. Forwards are started from a
 * pod, service or workload page ("Forward").
 */
import { html, useEffect, useState } from "../lib/ui.js";
import { formatCount } from "../lib/format.js";
import { watch } from "../api/socket.js";
import { forwardUrl, listPortForwards, openThroughProxy, savePortForward, stopPortForward } from "../api/portForwards.js";
import { Link, paths } from "../router.js";
import { notifyError, pushToast } from "../state/toasts.js";
import { Icon } from "../components/Icon.js";
import { DataTable } from "../components/DataTable.js";
import { StatusBadge } from "../components/StatusBadge.js";

// Byte and connection counters are not pushed (they change with every packet): the list is re-read this often.
const COUNTERS_REFRESH_MS = 5000;
const STATE_TONES = { active: "ok", starting: "warn", reconnecting: "warn", waiting: "warn", failed: "error", stopped: "" };

function bytes(n) {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n ?? 0} B`;
}

/** The forwards, kept current from the list and the socket's events (keyed by id, in creation order). */
function useForwards() {
  const [state, setState] = useState({ forwards: new Map(), loading: true, error: null });
  useEffect(() => {
    let cancelled = false;
    const load = () => listPortForwards().then(
      (list) => !cancelled && setState({ forwards: new Map(list.map((f) => [f.id, f])), loading: false, error: null }),
      (error) => !cancelled && setState((prev) => ({ ...prev, loading: false, error })),
    );
    const unsubscribe = watch({ resource: "port-forwards" }, {
      onEvents: (events) => setState((prev) => {
        const forwards = new Map(prev.forwards);
        for (const event of events) {
          if (event.type === "DELETED") forwards.delete(event.name);
          else forwards.set(event.name, { ...forwards.get(event.name), ...event.object });
        }
        return { ...prev, forwards };
      }),
      onResync: load,
    });
    load();
    const timer = setInterval(load, COUNTERS_REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
      unsubscribe();
    };
  }, []);
  return state;
}

function targetCell(f) {
  const href = paths.detail(f.clusterId, f.namespace, f.kind, f.name);
  return html`<${Link} href=${href} class="mono">${f.kind}/${f.namespace}/${f.name}</${Link}><span class="muted mono">:${f.port}</span>`;
}

function stateCell(f) {
  return html`<div class="forward-state"><${StatusBadge} value=${f.state} tone=${STATE_TONES[f.state] ?? ""} />
    ${f.reason && html`<div class="muted small forward-reason">${f.reason}</div>`}</div>`;
}

function openProxied(f) {
  openThroughProxy(f.id).catch((failure) => notifyError(`Could not open ${f.kind}/${f.name} through KubeVision`, failure));
}

/** The local address; for an active HTTP forward, "Open" (this machine's browser) and "Via KubeVision" (any browser:
 * the HTTP proxy through the forward). */
function addressCell(f) {
  const address = `${f.bindAddress.includes(":") ? `[${f.bindAddress}]` : f.bindAddress}:${f.localPort}`;
  const url = forwardUrl(f);
  return html`<span class="mono forward-address">${address}</span>
    ${url && f.state === "active" && html` <a class="button button-ghost forward-open" href=${url} target="_blank"
      rel="noopener noreferrer"><${Icon} name="externalLink" size=${13} /> Open</a>`}
    ${f.scheme === "http" && f.state === "active" && html` <button type="button" class="button button-ghost forward-proxy"
      onClick=${() => openProxied(f)} title="Open it in this browser through KubeVision (for a browser on another machine)">
      <${Icon} name="externalLink" size=${13} /> Via KubeVision</button>`}`;
}

/** @param {{user: object}} props */
export function PortForwardsPage({ user }) {
  const { forwards, loading, error } = useForwards();
  const [busy, setBusy] = useState(null);
  const rows = [...forwards.values()];
  const isAdmin = user?.role === "admin";

  const act = async (forward, action, message) => {
    setBusy(forward.id);
    try {
      await action();
      pushToast({ kind: "success", message });
    } catch (failure) {
      notifyError(`Could not change the forward to ${forward.name}`, failure);
    } finally {
      setBusy(null);
    }
  };
  const stop = (f) => act(f, () => stopPortForward(f.id), `Stopped the forward to ${f.kind}/${f.name}`);
  const toggleSaved = (f) => act(f, () => savePortForward(f.id, !f.saved),
    f.saved ? "The forward is no longer saved" : "Saved: the forward starts again with the server");

  /** @type {import("../components/DataTable.js").TableColumn[]} */
  const columns = [
    { key: "target", label: "Target", render: targetCell },
    { key: "state", label: "State", render: stateCell },
    { key: "address", label: "Local address", render: addressCell },
    { key: "pod", label: "Pod", className: "mono", render: (f) => (f.pod ? `${f.pod}:${f.podPort}` : html`<span class="muted">—</span>`) },
    { key: "connections", label: "Connections", render: (f) => html`${formatCount(f.connections)} <span class="muted">/ ${formatCount(f.connectionsTotal)}</span>` },
    { key: "bytes", label: "Sent / received", render: (f) => `${bytes(f.bytesToPod)} / ${bytes(f.bytesFromPod)}` },
    { key: "reconnects", label: "Reconnects", render: (f) => formatCount(f.reconnects) },
    ...(isAdmin ? [{ key: "owner", label: "Owner", render: (f) => f.owner.username }] : []),
    { key: "actions", label: "", align: "right", render: (f) => html`<div class="row-actions">
      <button type="button" class="button button-ghost" disabled=${busy === f.id} onClick=${() => toggleSaved(f)}
        title=${f.saved ? "Saved forwards start again when the server starts" : "Start it again when the server starts"}>
        <${Icon} name="star" size=${13} /> ${f.saved ? "Saved" : "Save"}</button>
      <button type="button" class="button button-danger-outline" disabled=${busy === f.id} onClick=${() => stop(f)}
        aria-label=${`Stop the forward to ${f.kind}/${f.name}`}><${Icon} name="x" size=${13} /> Stop</button>
    </div>` },
  ];

  return html`<div class="page">
    <div class="page-header">
      <div class="page-heading"><h1 class="page-title">Port forwards</h1>
        ${!loading && html`<span class="count-badge">${formatCount(rows.length)}</span>`}</div>
      <div class="page-subtitle">${isAdmin ? "Every user's" : "Your"} forwards from a local port of the KubeVision
        machine to a pod. A forward follows its service or workload to a new pod when the old one goes away.</div>
    </div>
    <div class="card card-flush">
      <${DataTable} label="Port forwards" columns=${columns} rows=${rows} rowKey=${(f) => f.id}
        loading=${loading} error=${error} errorTitle="Could not load port forwards"
        empty="No port forwards" emptyHint="Use Forward on a pod, service or workload page to start one." emptyIcon="link" />
    </div>
  </div>`;
}
