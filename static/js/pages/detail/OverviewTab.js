/** The Overview tab: kind summary, metadata (labels, annotations, owners), related objects, kubectl. */
import { html, useState } from "../../lib/ui.js";
import { findKind, kubectlType } from "../../lib/kinds.js";
import { kindCan } from "../../lib/permissions.js";
import { Link, paths } from "../../router.js";
import { Age } from "../../components/Age.js";
import { LabelChips, PropertyList, Section } from "../../components/Properties.js";
import { KubectlCommands, kubectlCommands } from "../../components/KubectlCommands.js";
import { summaryFor } from "./summaries.js";
import { CustomResourceSummary } from "./CustomResourceSummary.js";
import { RelatedObjects } from "./RelatedObjects.js";

const LONG_ANNOTATION = 160;

/**
 * @param {{clusterId: string, resource: string, kind: object, kinds: object[], object: object,
 *          can: object, reveal: () => Promise<object>}} props
 */
export function OverviewTab({ clusterId, resource, kind, kinds, object, can, reveal }) {
  const Summary = summaryFor(resource) ?? (kind?.custom ? CustomResourceSummary : null);
  const meta = object.metadata ?? {};
  const commands = kubectlCommands({
    type: kubectlType(kind ?? { name: resource, kind: object.kind }), name: meta.name, namespace: meta.namespace,
    isPod: resource === "pods", containers: (object.spec?.containers ?? []).map((c) => c.name),
    scalable: kindCan(kind, "scale"), replicas: object.spec?.replicas ?? 1, restartable: kindCan(kind, "restart"),
  });
  return html`<div class="overview-grid">
    <div class="overview-main">
      ${Summary && html`<${Summary} object=${object} context=${{ clusterId, can, reveal, resource, kind }} />`}
      <${RelatedObjects} clusterId=${clusterId} resource=${resource} object=${object} kinds=${kinds} />
    </div>
    <div class="overview-side">
      <${Section} title="Metadata">
        <${PropertyList} rows=${[
          ["Name", html`<span class="mono">${meta.name}</span>`],
          ["Namespace", meta.namespace && html`<${Link} class="mono" href=${paths.detail(clusterId, "", "namespaces", meta.namespace)}>${meta.namespace}</${Link}>`],
          ["Kind", html`${object.kind} <span class="muted mono small">${object.apiVersion}</span>`],
          ["Created", meta.creationTimestamp && html`<${Age} value=${meta.creationTimestamp} suffix=" ago" /> <span class="muted small">${new Date(meta.creationTimestamp).toLocaleString()}</span>`],
          ["Deleting", meta.deletionTimestamp && html`<span class="status status-warn"><span class="status-dot"></span>since <${Age} value=${meta.deletionTimestamp} /></span>`],
          ["UID", html`<span class="mono small">${meta.uid}</span>`],
          ["Resource version", html`<span class="mono">${meta.resourceVersion}</span>`],
          ["Finalizers", (meta.finalizers ?? []).length ? html`<span class="mono small">${meta.finalizers.join(", ")}</span>` : null],
        ]} />
        <h3 class="subheading">Labels</h3>
        <${LabelChips} values=${meta.labels}
          hrefFor=${(key, value) => `${paths.list(clusterId, meta.namespace, resource)}?${new URLSearchParams({ labelSelector: `${key}=${value}` })}`} />
        <h3 class="subheading">Annotations</h3>
        <${Annotations} values=${meta.annotations} />
        <h3 class="subheading">Owner references</h3>
        <${Owners} clusterId=${clusterId} kinds=${kinds} meta=${meta} />
      </${Section}>
      <${Section} title="kubectl">
        <${KubectlCommands} commands=${commands} />
      </${Section}>
    </div>
  </div>`;
}

function Annotations({ values }) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return html`<span class="muted">None</span>`;
  return html`<dl class="annotations">${entries.map(([key, value]) => html`<${Annotation} key=${key} name=${key} value=${value} />`)}</dl>`;
}

function Annotation({ name, value }) {
  const [open, setOpen] = useState(false);
  const long = value.length > LONG_ANNOTATION;
  return html`<div class="annotation">
    <dt class="mono">${name}</dt>
    <dd class="mono">${long && !open ? `${value.slice(0, LONG_ANNOTATION)}…` : value}
      ${long && html` <button type="button" class="link-button small" onClick=${() => setOpen(!open)}>${open ? "Show less" : `Show all (${value.length} chars)`}</button>`}</dd>
  </div>`;
}

function Owners({ clusterId, kinds, meta }) {
  const owners = meta.ownerReferences ?? [];
  if (!owners.length) return html`<span class="muted">None</span>`;
  return html`<ul class="plain-list">${owners.map((ref) => {
    const kind = findKind(kinds, ref.apiVersion, ref.kind);
    return html`<li key=${ref.uid}><span class="chip">${ref.kind}</span> ${kind
      ? html`<${Link} class="mono" href=${paths.detail(clusterId, kind.namespaced === false ? "" : meta.namespace, kind.name, ref.name)}>${ref.name}</${Link}>`
      : html`<span class="mono">${ref.name}</span>`}${ref.controller ? html` <span class="muted small">controller</span>` : ""}</li>`;
  })}</ul>`;
}
