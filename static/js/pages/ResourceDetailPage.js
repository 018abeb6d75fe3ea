/**
 * One object: a summary (metadata, labels, annotations) and its manifest as JSON. The YAML editor,
 * events, logs and terminal tabs come with their backend routes.
 */
import { html, cx, useState } from "../lib/ui.js";
import { formatAge } from "../lib/format.js";
import { kindLabel } from "../lib/kinds.js";
import { getResource } from "../api/clusters.js";
import { ALL_NAMESPACES, Link, paths } from "../router.js";
import { LoadingBlock } from "../components/Spinner.js";
import { EmptyState } from "../components/EmptyState.js";
import { usePromise } from "./usePromise.js";

const TABS = ["Overview", "YAML", "Events", "Logs", "Terminal"];

/**
 * @param {{clusterId: string, namespace: string, resource: string, name: string, kind?: object}} props
 */
export function ResourceDetailPage({ clusterId, namespace, resource, name, kind }) {
  const [tab, setTab] = useState("Overview");
  const apiNamespace = namespace === ALL_NAMESPACES ? "" : namespace;
  const object = usePromise((signal) => getResource(clusterId, resource, name, { namespace: apiNamespace, signal }),
    [clusterId, resource, name, apiNamespace], { errorTitle: `Could not load ${name}`, initial: null });
  const tabs = TABS.filter((t) => (t !== "Logs" && t !== "Terminal") || resource === "pods");
  const listHref = paths.list(clusterId, namespace, resource);
  const meta = object.data?.metadata ?? {};

  return html`<div class="page">
    <nav class="breadcrumbs" aria-label="Breadcrumb">
      <${Link} href=${listHref}>${kind ? kindLabel(kind) : resource}</${Link}>
      <span aria-hidden="true">/</span>
      <span aria-current="page">${name}</span>
    </nav>
    <div class="page-header">
      <div class="page-heading"><h1 class="page-title mono">${name}</h1>
        ${kind && html`<span class="chip">${kind.kind}</span>`}</div>
      ${apiNamespace && html`<div class="page-subtitle">Namespace <strong>${apiNamespace}</strong></div>`}
    </div>
    <div class="tabs" role="tablist">
      ${tabs.map((t) => html`<button type="button" role="tab" key=${t} aria-selected=${tab === t ? "true" : "false"}
          class=${cx("tab", tab === t && "is-active")} onClick=${() => setTab(t)}>${t}</button>`)}
    </div>
    <div class="tab-panel" role="tabpanel">
      ${object.loading ? html`<${LoadingBlock} label="Loading object…" />`
        : object.error ? html`<${EmptyState} icon="alert" tone="error" title="Could not load this object"
            action=${html`<button type="button" class="button" onClick=${object.reload}>Try again</button>`}>${object.error.message}</${EmptyState}>`
        : tab === "Overview" ? html`<${Summary} meta=${meta} />`
        : tab === "YAML" ? html`<pre class="code-block">${JSON.stringify(object.data, null, 2)}</pre>`
        : html`<${EmptyState} icon="info" title=${`${tab} are not available yet`}>This tab arrives with its backend route.</${EmptyState}>`}
    </div>
  </div>`;
}

function Summary({ meta }) {
  const rows = [
    ["Name", meta.name], ["Namespace", meta.namespace], ["UID", meta.uid],
    ["Created", meta.creationTimestamp ? `${new Date(meta.creationTimestamp).toLocaleString()} (${formatAge(meta.creationTimestamp)} ago)` : ""],
    ["Resource version", meta.resourceVersion],
  ].filter(([, value]) => value);
  return html`<div class="card">
    <dl class="properties">${rows.map(([k, v]) => html`<div class="property" key=${k}><dt>${k}</dt><dd class="mono">${v}</dd></div>`)}</dl>
    <${Pairs} title="Labels" values=${meta.labels} />
    <${Pairs} title="Annotations" values=${meta.annotations} />
  </div>`;
}

function Pairs({ title, values }) {
  const entries = Object.entries(values ?? {});
  return html`<div class="pairs"><h3 class="pairs-title">${title}</h3>
    ${entries.length ? html`<div class="chips">${entries.map(([k, v]) => html`<span class="chip mono" key=${k} title=${`${k}=${v}`}>${k}=${v}</span>`)}</div>`
      : html`<span class="muted">None</span>`}
  </div>`;
}
