/**
 * One object at /c/{cluster}/ns/{ns}/{resource}/{name}: a header with actions (Edit YAML, Restart,
 * Delete — only those GET /kinds offers: the kind can and the user may) and tabs. The tab lives in ?tab= so a
 * link can open it. To add a tab, add an entry to TABS: `when(kind, can)` decides for which kinds it shows.
 * The object stays live over the shared watch socket (a subscription to this one object): every tab sees
 * changes made elsewhere (kubectl, controllers) as they happen, and a deletion is announced on the page.
 */
import { html, cx, useCallback, useEffect, useState } from "../../lib/ui.js";
import { kindLabel } from "../../lib/kinds.js";
import { abilities, kindCan } from "../../lib/permissions.js";
import { fetchObject } from "../../api/resources.js";
import { watch } from "../../api/socket.js";
import { ALL_NAMESPACES, Link, navigate, paths, updateQuery } from "../../router.js";
import { notifyError } from "../../state/toasts.js";
import { LoadingBlock } from "../../components/Spinner.js";
import { EmptyState } from "../../components/EmptyState.js";
import { Icon } from "../../components/Icon.js";
import { Age } from "../../components/Age.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { OverviewTab } from "./OverviewTab.js";
import { YamlTab } from "./YamlTab.js";
import { EventsTab } from "./EventsTab.js";
import { LogsTab } from "./LogsTab.js";
import { TerminalTab } from "./TerminalTab.js";
import { HelmTab } from "./HelmTab.js";
import { MetricsTab } from "./MetricsTab.js";
import { WorkloadActions } from "./WorkloadActions.js";
import { ForwardAction } from "./ForwardAction.js";
import { DeleteObjectDialog } from "./DeleteObjectDialog.js";
import { FavoriteToggle } from "../FavoriteToggle.js";

/** Tabs in order. */
const TABS = [
  { id: "overview", label: "Overview", render: (p) => html`<${OverviewTab} ...${p} />` },
  { id: "yaml", label: "YAML", render: (p) => html`<${YamlTab} ...${p} />` },
  { id: "events", label: "Events", render: (p) => html`<${EventsTab} clusterId=${p.clusterId} object=${p.object} />` },
  { id: "logs", label: "Logs", when: (_, can) => can.logs || can.aggregatedLogs, render: (p) => html`<${LogsTab} ...${p} />` },
  { id: "terminal", label: "Terminal", when: (kind) => kindCan(kind, "exec"), render: (p) => html`<${TerminalTab} ...${p} />` },
  { id: "release", label: "Release", when: (kind) => kindCan(kind, "helm"), render: (p) => html`<${HelmTab} ...${p} />` },
  { id: "metrics", label: "Metrics", when: (kind) => kindCan(kind, "metrics"), render: (p) => html`<${MetricsTab} ...${p} />` },
];

/** The page state after one watch event (or a fresh read, as MODIFIED) about the shown object. */
function applyEvent(state, event) {
  if (event.type === "DELETED") return { ...state, deletedAt: state.deletedAt ?? new Date() };
  const next = event.object;
  if (!next) return state;
  const shown = state.object;
  // A recreated object (new uid) is news too; within one object, never go back to an older resourceVersion.
  if (shown && shown.metadata?.uid === next.metadata?.uid
      && Number(next.metadata?.resourceVersion) < Number(shown.metadata?.resourceVersion)) return state;
  return { ...state, object: next, error: null, loading: false, deletedAt: null };
}

function headlineStatus(object) {
  if (!object) return null;
  if (object.metadata?.deletionTimestamp) return "Terminating";
  const status = object.status ?? {};
  if (status.phase) return status.phase;
  const ready = (status.conditions ?? []).find((c) => c.type === "Ready" || c.type === "Available");
  if (ready) return ready.status === "True" ? (ready.type === "Ready" ? "Ready" : "Available") : `Not ${ready.type.toLowerCase()}`;
  return null;
}

/**
 * @param {{clusterId: string, namespace: string, resource: string, name: string, kind?: object,
 *          kinds: object[], tab?: string|null, edit?: boolean}} props
 *   `edit`: open in the YAML editor (?tab=yaml&edit=1, a list row's "Edit YAML"); the flag leaves the URL at once
 */
export function ResourceDetailPage({ clusterId, namespace, resource, name, kind, kinds, tab, edit = false }) {
  const apiNamespace = namespace === ALL_NAMESPACES ? "" : namespace;
  const [state, setState] = useState({ object: null, error: null, loading: true, deletedAt: null });
  const [editing, setEditing] = useState(edit);
  useEffect(() => {
    if (edit) updateQuery({ edit: null });
  }, []);
  const [dialog, setDialog] = useState(null); // "delete" | null

  const fetchLatest = useCallback(
    (options = {}) => fetchObject(clusterId, resource, name, { namespace: apiNamespace || undefined, ...options }),
    [clusterId, resource, name, apiNamespace],
  );
  const load = useCallback((signal) => {
    setState((prev) => ({ ...prev, loading: true, error: null }));
    fetchLatest({ signal }).then(
      (object) => !signal?.aborted && setState((prev) => applyEvent(prev, { type: "MODIFIED", object })),
      (error) => {
        if (signal?.aborted || error?.name === "AbortError") return;
        // Not found: the page says so. Gone while shown (a socket reconnect re-reads it): keep it, say it was deleted.
        if (error?.code === 40400) {
          setState((prev) => (prev.object ? { ...prev, loading: false, deletedAt: prev.deletedAt ?? new Date() }
            : { ...prev, error, loading: false }));
          return;
        }
        setState((prev) => ({ ...prev, error, loading: false }));
        notifyError(`Could not load ${name}`, error);
      },
    );
  }, [fetchLatest, name]);
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal);
    // Follow the object: changes replace it (unless an event is older than what is shown), a deletion is noted.
    const unsubscribe = watch({ cluster: clusterId, resource, namespace: apiNamespace, name, view: "object" }, {
      onEvents: (events) => setState((prev) => events.reduce(applyEvent, prev)),
      onResync: () => load(controller.signal),
    });
    return () => {
      controller.abort();
      unsubscribe();
    };
  }, [load]);

  const object = state.object;
  const effectiveKind = kind ?? { name: resource, kind: object?.kind ?? resource, namespaced: Boolean(apiNamespace) };
  const can = abilities(effectiveKind, kinds);
  const tabs = TABS.filter((t) => !t.when || t.when(effectiveKind, can));
  const active = tabs.find((t) => t.id === tab) ?? tabs[0];
  const setTab = (id) => updateQuery({ tab: id === "overview" ? null : id });
  const kindName = object?.kind ?? effectiveKind.kind;
  const listHref = paths.list(clusterId, effectiveKind.namespaced === false ? ALL_NAMESPACES : namespace, resource);

  const editYaml = () => {
    setTab("yaml");
    setEditing(true);
  };

  const tabProps = {
    clusterId, resource, name, namespace: apiNamespace || undefined, kind: effectiveKind, kinds, object, can,
    reveal: () => fetchLatest({ reveal: true }),
    canEdit: can.edit, editing, onEditingChange: setEditing,
    onObject: (next) => setState({ object: next, error: null, loading: false, deletedAt: null }),
    fetchLatest: () => fetchLatest(),
  };
  const status = headlineStatus(object);

  return html`<div class="page page-detail">
    <nav class="breadcrumbs" aria-label="Breadcrumb">
      <${Link} href=${listHref}>${kind ? kindLabel(kind, kinds) : resource}</${Link}>
      <span aria-hidden="true">/</span>
      ${apiNamespace && html`<span class="muted">${apiNamespace}</span><span aria-hidden="true">/</span>`}
      <span aria-current="page">${name}</span>
    </nav>
    <div class="page-header">
      <div class="page-heading">
        <h1 class="page-title mono">${name}</h1>
        <span class="chip">${kindName}</span>
        ${status && html`<${StatusBadge} value=${status} />`}
        <${FavoriteToggle} path=${paths.detail(clusterId, namespace, resource, name)} title=${`${kindName} ${name}`}
          cluster=${clusterId} resource=${resource} namespace=${apiNamespace || undefined} name=${name} />
      </div>
      <div class="page-subtitle">
        ${apiNamespace ? html`Namespace <strong>${apiNamespace}</strong>` : "Cluster-scoped"}
        ${object?.metadata?.creationTimestamp && html` · created <${Age} value=${object.metadata.creationTimestamp} suffix=" ago" />`}
      </div>
      ${object && html`<div class="page-actions">
        <button type="button" class="button" onClick=${() => load()} title="Reload this object"><${Icon} name="refresh" size=${14} /> Refresh</button>
        <${WorkloadActions} clusterId=${clusterId} resource=${resource} name=${name} namespace=${apiNamespace || undefined}
          object=${object} kind=${effectiveKind} kinds=${kinds} onChanged=${() => load()} />
        ${can.portForward && apiNamespace && html`<${ForwardAction} clusterId=${clusterId} resource=${resource} name=${name}
          namespace=${apiNamespace} object=${object} />`}
        ${can.edit && !editing && html`<button type="button" class="button" onClick=${editYaml}><${Icon} name="edit" size=${14} /> Edit YAML</button>`}
        ${can.delete && html`<button type="button" class="button button-danger-outline" onClick=${() => setDialog("delete")}><${Icon} name="trash" size=${14} /> Delete</button>`}
      </div>`}
    </div>
    ${state.deletedAt && html`<div class="notice notice-error detail-deleted" role="alert">
      <${Icon} name="alert" size=${14} /> This ${kindName} was deleted from the cluster at ${state.deletedAt.toLocaleTimeString()}.
      What is shown is its last known state. <${Link} href=${listHref}>Back to the list</${Link}>
    </div>`}
    <div class="tabs" role="tablist" aria-label="Object views">
      ${tabs.map((t) => html`<button type="button" role="tab" key=${t.id} id=${`tab-${t.id}`} aria-selected=${active.id === t.id ? "true" : "false"}
          aria-controls="detail-panel" class=${cx("tab", active.id === t.id && "is-active")} onClick=${() => setTab(t.id)}>${t.label}</button>`)}
    </div>
    <div class="tab-panel" role="tabpanel" id="detail-panel" aria-labelledby=${`tab-${active.id}`}>
      ${object ? active.render(tabProps)
        : state.loading ? html`<${LoadingBlock} label="Loading object…" />`
        : html`<${EmptyState} icon="alert" tone="error" title=${state.error?.code === 40400 ? `${kindName} ${name} not found` : "Could not load this object"}
            action=${html`<button type="button" class="button" onClick=${() => load()}>Try again</button>`}>${state.error?.message}</${EmptyState}>`}
    </div>
    ${object && html`<${DeleteObjectDialog} open=${dialog === "delete"} clusterId=${clusterId} resource=${resource} name=${name}
      namespace=${apiNamespace} kindName=${kindName} onClose=${() => setDialog(null)} onDeleted=${() => navigate(listHref)} />`}
  </div>`;
}
