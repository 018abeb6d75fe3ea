/** The Events tab: Kubernetes Events about this object, newest first (they expire after ~1 hour); read again
 * whenever the live object changes. */
import { html } from "../../lib/ui.js";
import { eventTime, objectEvents } from "../../api/resources.js";
import { Age } from "../../components/Age.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { DataTable } from "../../components/DataTable.js";
import { Icon } from "../../components/Icon.js";
import { usePromise } from "../usePromise.js";

/** @type {import("../../components/DataTable.js").TableColumn[]} */
const EVENT_COLUMNS = [
  { key: "type", label: "Type", render: (e) => html`<${StatusBadge} value=${e.type ?? "Normal"} tone=${e.type === "Warning" ? "warn" : "ok"} />` },
  { key: "reason", label: "Reason", render: (e) => html`<strong>${e.reason}</strong>` },
  { key: "message", label: "Message", render: (e) => html`<span class="cell-message">${e.message ?? e.note}</span>` },
  { key: "count", label: "Count", className: "mono", value: (e) => e.count ?? e.series?.count ?? 1 },
  { key: "source", label: "Source", className: "muted",
    value: (e) => (typeof e.source === "string" ? e.source : e.source?.component) ?? e.reportingComponent ?? e.reportingController },
  { key: "lastSeen", label: "Last seen", render: (e) => (eventTime(e) ? html`<${Age} value=${eventTime(e)} suffix=" ago" />` : html`<span class="muted">—</span>`) },
];

/**
 * @param {{clusterId: string, object: object}} props
 */
export function EventsTab({ clusterId, object }) {
  const meta = object.metadata ?? {};
  const events = usePromise((signal) => objectEvents(clusterId, {
    namespace: meta.namespace, kind: object.kind, name: meta.name, uid: meta.uid, signal,
  }), [clusterId, meta.uid, meta.resourceVersion], { errorTitle: "Could not load events", initial: null });

  const list = events.data ?? [];
  return html`<div class="events-tab">
    <div class="yaml-toolbar">
      <span class="yaml-mode"><${Icon} name="clock" size=${14} /> ${list.length} event${list.length === 1 ? "" : "s"} · Kubernetes keeps events for about an hour</span>
      <div class="toolbar-spacer"></div>
      <button type="button" class="button" onClick=${events.reload} disabled=${events.loading}><${Icon} name="refresh" size=${14} /> Refresh</button>
    </div>
    <div class="card card-flush"><${DataTable} label="Events" class="events-table" columns=${EVENT_COLUMNS} rows=${list}
      rowKey=${(e, index) => e.metadata?.uid ?? String(index)} loading=${events.loading} error=${events.error} onRetry=${events.reload}
      errorTitle="Could not load events" empty="No recent events" emptyHint="Nothing was reported about this object recently."
      emptyIcon="clock" /></div>
  </div>`;
}
