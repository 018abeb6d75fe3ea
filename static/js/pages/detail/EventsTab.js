/** The Events tab: Kubernetes Events about this object, newest first (they expire after ~1 hour); read again
 * whenever the live object changes. */
import { html } from "../../lib/ui.js";
import { eventTime, objectEvents } from "../../api/resources.js";
import { Age } from "../../components/Age.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { DataTable } from "../../components/Properties.js";
import { EmptyState } from "../../components/EmptyState.js";
import { LoadingBlock } from "../../components/Spinner.js";
import { Icon } from "../../components/Icon.js";
import { usePromise } from "../usePromise.js";

/**
 * @param {{clusterId: string, object: object}} props
 */
export function EventsTab({ clusterId, object }) {
  const meta = object.metadata ?? {};
  const events = usePromise((signal) => objectEvents(clusterId, {
    namespace: meta.namespace, kind: object.kind, name: meta.name, uid: meta.uid, signal,
  }), [clusterId, meta.uid, meta.resourceVersion], { errorTitle: "Could not load events", initial: null });

  if (events.loading && !events.data) return html`<${LoadingBlock} label="Loading events…" />`;
  if (events.error) {
    return html`<${EmptyState} icon="alert" tone="error" title="Could not load events"
      action=${html`<button type="button" class="button" onClick=${events.reload}>Try again</button>`}>${events.error.message}</${EmptyState}>`;
  }
  const list = events.data ?? [];
  const rows = list.map((e) => [
    html`<${StatusBadge} value=${e.type ?? "Normal"} tone=${e.type === "Warning" ? "warn" : "ok"} />`,
    html`<strong>${e.reason}</strong>`,
    html`<span class="cell-message">${e.message ?? e.note}</span>`,
    html`<span class="mono">${e.count ?? e.series?.count ?? 1}</span>`,
    html`<span class="muted">${(typeof e.source === "string" ? e.source : e.source?.component) ?? e.reportingComponent ?? e.reportingController ?? ""}</span>`,
    eventTime(e) ? html`<${Age} value=${eventTime(e)} suffix=" ago" />` : null,
  ]);
  return html`<div class="events-tab">
    <div class="yaml-toolbar">
      <span class="yaml-mode"><${Icon} name="clock" size=${14} /> ${list.length} event${list.length === 1 ? "" : "s"} · Kubernetes keeps events for about an hour</span>
      <div class="toolbar-spacer"></div>
      <button type="button" class="button" onClick=${events.reload} disabled=${events.loading}><${Icon} name="refresh" size=${14} /> Refresh</button>
    </div>
    ${list.length === 0
      ? html`<div class="card"><${EmptyState} icon="clock" title="No recent events">Nothing was reported about this object recently.</${EmptyState}></div>`
      : html`<div class="card card-flush"><${DataTable} label="Events" class="events-table"
          columns=${["Type", "Reason", "Message", "Count", "Source", "Last seen"]} rows=${rows} /></div>`}
  </div>`;
}
