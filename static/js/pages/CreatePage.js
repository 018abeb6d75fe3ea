/**
 * Create from YAML at /c/{cluster}/create?resource=&namespace=: an editor seeded with a template for
 * the kind, "Dry run" (server-side apply with dryRun) and "Apply", then a result per document
 * (code and message; failed documents and their validation causes are marked in the editor).
 * Documents may hold several objects separated by `---`; server-side apply creates or updates each.
 */
import { html, cx, useRef, useState } from "../lib/ui.js";
import { kindLabel } from "../lib/kinds.js";
import { abilities } from "../lib/permissions.js";
import { loadManifest } from "../lib/manifestLoader.js";
import { templateFor } from "../lib/templates.js";
import { applyYaml } from "../api/resources.js";
import { findKind } from "../lib/kinds.js";
import { Link, paths } from "../router.js";
import { CodeEditor } from "../components/CodeEditor.js";
import { CausesList } from "../components/CausesList.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { Spinner } from "../components/Spinner.js";

const PARSE_ERROR = 42200;

/** Text of the document that starts at 1-based `line` (up to the next `---`). */
function documentAt(text, line) {
  const lines = text.split("\n");
  const start = Math.max(0, (line ?? 1) - 1);
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^---(\s|$)/.test(lines[i])) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join("\n");
}

/**
 * @param {{clusterId: string, kind?: object|null, kinds: object[], namespace: string}} props
 */
export function CreatePage({ clusterId, kind, kinds, namespace }) {
  const [text, setText] = useState(() => templateFor(kind, namespace));
  const [run, setRun] = useState(null); // {dryRun, status: "busy"|"done"|"error", results?, error?}
  const [defaultNs, setDefaultNs] = useState(namespace || "default");
  const editorRef = useRef(null);
  const can = abilities(kind, kinds);

  if (!can.create && kind) {
    return html`<div class="page"><${EmptyState} icon="shield" title="You cannot create objects">
      You may not create ${kindLabel(kind).toLowerCase()} here.</${EmptyState}></div>`;
  }

  const submit = async (dryRun) => {
    setRun({ dryRun, status: "busy", text });
    try {
      const [results, { locateField }] = await Promise.all([
        applyYaml(clusterId, { yaml: text, dryRun, namespace: defaultNs || undefined }), loadManifest(),
      ]);
      setRun({ dryRun, status: "done", text, results: (results ?? []).map((r) => withCauseLines(text, r, locateField)) });
    } catch (error) {
      setRun({ dryRun, status: "error", text, error });
    }
  };

  const stale = run && run.status !== "busy" && run.text !== text;
  const marked = stale || !run ? [] : run.status === "error"
    ? [run.error?.data?.line].filter(Boolean)
    : (run.results ?? []).filter((r) => r.code !== 0).flatMap((r) => [r.line, ...(r.causes ?? []).map((c) => c.line)]).filter(Boolean);
  const reveal = (line) => editorRef.current?.revealLine(line);
  const busy = run?.status === "busy";
  const backHref = kind ? paths.list(clusterId, kind.namespaced === false ? "" : namespace, kind.name) : paths.overview(clusterId);

  return html`<div class="page page-create">
    <nav class="breadcrumbs" aria-label="Breadcrumb">
      <${Link} href=${backHref}>${kind ? kindLabel(kind, kinds) : "Overview"}</${Link}><span aria-hidden="true">/</span><span aria-current="page">Create</span>
    </nav>
    <div class="page-header">
      <div class="page-heading"><h1 class="page-title">Create from YAML</h1></div>
      <div class="page-subtitle">One or more manifests separated by <code>---</code>. Server-side apply creates new objects and updates existing ones.</div>
    </div>
    <div class="yaml-toolbar">
      <label class="inline-field">
        <span>Default namespace</span>
        <input type="text" value=${defaultNs} onInput=${(e) => setDefaultNs(e.currentTarget.value.trim())} aria-label="Default namespace"
          placeholder="default" spellcheck="false" />
      </label>
      <span class="muted small">used by documents without <code>metadata.namespace</code></span>
      <div class="toolbar-spacer"></div>
      <button type="button" class="button" onClick=${() => submit(true)} disabled=${busy}><${Icon} name="play" size=${14} /> Dry run</button>
      <button type="button" class="button button-primary" onClick=${() => submit(false)} disabled=${busy}><${Icon} name="check" size=${14} /> Apply</button>
    </div>
    <div class=${cx("yaml-workbench", run && "has-review")}>
      <${CodeEditor} class="yaml-editor" value=${text} onChange=${setText} markedLines=${marked} handleRef=${editorRef} label="Manifests to create" />
      ${run && html`<${Results} run=${run} stale=${stale} clusterId=${clusterId} kinds=${kinds} onReveal=${reveal} />`}
    </div>
  </div>`;
}

function withCauseLines(text, result, locateField) {
  if (!result.causes?.length) return result;
  const doc = documentAt(text, result.line);
  return { ...result, causes: result.causes.map((c) => {
    const inner = locateField(doc, c.field);
    return { ...c, line: inner ? inner + (result.line ?? 1) - 1 : null };
  }) };
}

function Results({ run, stale, clusterId, kinds, onReveal }) {
  if (run.status === "busy") {
    return html`<div class="review card"><div class="review-loading"><${Spinner} size="sm" inline /> ${run.dryRun ? "Running a server dry run…" : "Applying…"}</div></div>`;
  }
  if (run.status === "error") {
    const line = run.error?.data?.line;
    return html`<section class="review card" aria-label="Results">
      <header class="review-header review-error"><${Icon} name="alert" size=${16} />
        <h3 class="review-title">${run.error?.code === PARSE_ERROR ? "The YAML cannot be parsed" : "The request failed"}</h3></header>
      <p class="review-message">${run.error?.message}${line ? html` <button type="button" class="link-button" onClick=${() => onReveal(line)}>line ${line}${run.error.data.column ? `, column ${run.error.data.column}` : ""}</button>` : ""}</p>
    </section>`;
  }
  const results = run.results ?? [];
  const failed = results.filter((r) => r.code !== 0).length;
  return html`<section class="review card" aria-label="Results">
    <header class=${`review-header ${failed ? "review-error" : "review-ok"}`}>
      <${Icon} name=${failed ? "alert" : "check"} size=${16} />
      <h3 class="review-title">${run.dryRun ? "Dry run" : "Apply"}: ${results.length - failed} of ${results.length} document${results.length === 1 ? "" : "s"} ${run.dryRun ? "valid" : "applied"}</h3>
    </header>
    ${stale && html`<div class="notice review-stale">The YAML changed after this run.</div>`}
    <ol class="doc-results">
      ${results.map((r) => {
        const kind = findKind(kinds, r.apiVersion, r.kind);
        const ok = r.code === 0;
        const label = `${r.kind ?? "?"} ${r.namespace ? `${r.namespace}/` : ""}${r.name ?? ""}`;
        return html`<li key=${r.index} class=${cx("doc-result", ok ? "is-ok" : "is-error")}>
          <div class="doc-result-head">
            <${Icon} name=${ok ? "check" : "alert"} size=${14} class="result-icon" />
            <span class="doc-index">#${(r.index ?? 0) + 1}</span>
            ${ok && !run.dryRun && kind && r.name
              ? html`<${Link} class="mono" href=${paths.detail(clusterId, r.namespace, kind.name, r.name)}>${label}</${Link}>`
              : html`<span class="mono">${label}</span>`}
            ${r.line && html`<button type="button" class="cause-line" onClick=${() => onReveal(r.line)}>line ${r.line}</button>`}
            <span class="doc-code">${ok ? "OK" : r.code}</span>
          </div>
          <div class="doc-message">${r.message}</div>
          ${r.causes?.length ? html`<${CausesList} causes=${r.causes} onReveal=${onReveal} />` : ""}
        </li>`;
      })}
    </ol>
  </section>`;
}
