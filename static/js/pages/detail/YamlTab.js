/**
 * The YAML tab: the live object read-only, and the edit flow
 *
 *   Edit → (type) → Preview changes (server dry run: unified diff, validation causes with lines)
 *        → Apply (PUT) → back to the read-only view of the stored object.
 *
 * A 409 conflict (someone changed the object since it was loaded) offers "Reload and reapply":
 * fetch the latest object and merge the user's own edits (their text against the version they started
 * from) onto it, three-way (lib/threeWayMerge.js), then preview the result as a dry-run diff. Fields both
 * sides changed differently are listed as conflicts; the user keeps theirs or takes the latest for each
 * before the merged text can be previewed and applied.
 */
import { html, cx, useEffect, useMemo, useRef, useState } from "../../lib/ui.js";
import { useManifest } from "../../lib/manifestLoader.js";
import { threeWayMerge } from "../../lib/threeWayMerge.js";
import { dryRunReplace, replaceObject } from "../../api/resources.js";
import { pushToast } from "../../state/toasts.js";
import { CodeEditor } from "../../components/CodeEditor.js";
import { DiffView } from "../../components/DiffView.js";
import { CausesList } from "../../components/CausesList.js";
import { CopyButton } from "../../components/CopyButton.js";
import { Icon } from "../../components/Icon.js";
import { Modal } from "../../components/Modal.js";
import { LoadingBlock, Spinner } from "../../components/Spinner.js";

const CONFLICT = 40901;
const INVALID = 42201;

/**
 * @param {{clusterId: string, resource: string, name: string, namespace?: string, object: object,
 *          canEdit: boolean, editing: boolean, onEditingChange: (editing: boolean) => void,
 *          onObject: (object: object) => void, fetchLatest: () => Promise<object>}} props
 *   `onObject` receives the stored object after an apply or a reload; `fetchLatest` re-reads it.
 */
export function YamlTab({ clusterId, resource, name, namespace, object, canEdit, editing, onEditingChange, onObject, fetchLatest }) {
  const [text, setText] = useState("");
  const [syntax, setSyntax] = useState(null);
  const [review, setReview] = useState(null);
  const [applying, setApplying] = useState(false);
  const [conflict, setConflict] = useState(null); // null | {busy, error}
  // Fields both the user and someone else changed: {base, mine, theirs, conflicts, choices} | null.
  const [overlap, setOverlap] = useState(null);
  // The editable object the user's edits are relative to (set when editing starts, moved on a merge).
  const startedFrom = useRef(null);
  const editorRef = useRef(null);
  const lib = useManifest(); // the yaml package, loaded on first use
  const viewText = useMemo(() => (lib ? lib.toYaml(object) : ""), [object, lib]);
  const kind = object.kind ?? "object";

  // The page owns `editing` (its header has an "Edit YAML" button too); entering edit mode loads
  // the editable part of the object (no status) into the buffer, leaving it clears everything.
  useEffect(() => {
    if (!lib) return;
    startedFrom.current = editing ? lib.editable(object) : null;
    setText(editing ? lib.toYaml(startedFrom.current) : "");
    setSyntax(null);
    setReview(null);
    setOverlap(null);
  }, [editing, lib]);

  const startEdit = () => onEditingChange(true);
  const cancel = () => onEditingChange(false);

  const parse = (source) => {
    try {
      const body = lib.parseManifest(source);
      setSyntax(null);
      return body;
    } catch (error) {
      if (!(error instanceof lib.ManifestError)) throw error;
      setSyntax(error);
      setReview(null);
      return null;
    }
  };

  const withLines = (source, causes) => (causes ?? []).map((c) => ({ ...c, line: lib.locateField(source, c.field) }));

  const failure = (source, error) => {
    if (error?.code === CONFLICT) {
      setReview(null);
      setConflict({ busy: false, error: null, message: error.message });
    } else if (error?.code === INVALID) {
      setReview({ status: "invalid", text: source, message: error.message, causes: withLines(source, error.data?.causes) });
    } else {
      setReview({ status: "error", text: source, error });
    }
  };

  const preview = async (source = text) => {
    const body = parse(source);
    if (!body) return;
    setReview({ status: "loading", text: source });
    try {
      const result = await dryRunReplace(clusterId, resource, name, body, { namespace });
      setReview({
        status: result.valid === false ? "invalid" : "ok", text: source, diff: result.diff ?? "",
        message: result.message, causes: withLines(source, result.causes),
      });
    } catch (error) {
      failure(source, error);
    }
  };

  const apply = async () => {
    const body = parse(text);
    if (!body) return;
    setApplying(true);
    try {
      const saved = await replaceObject(clusterId, resource, name, body, { namespace });
      pushToast({ kind: "success", message: `Saved ${kind} ${name}` });
      onObject(saved);
      cancel();
    } catch (error) {
      failure(text, error);
    } finally {
      setApplying(false);
    }
  };

  const reloadAndReapply = async () => {
    const mine = parse(text);
    if (!mine) {
      setConflict(null);
      return;
    }
    setConflict((c) => ({ ...c, busy: true, error: null }));
    try {
      const latest = await fetchLatest();
      const theirs = lib.editable(latest);
      const base = startedFrom.current ?? theirs;
      const { merged, conflicts } = threeWayMerge(base, mine, theirs);
      onObject(latest);
      startedFrom.current = theirs; // the merged text is the latest object plus the user's edits
      const mergedText = lib.toYaml(merged);
      setText(mergedText);
      setConflict(null);
      if (conflicts.length) {
        setReview(null);
        setOverlap({ base, mine, theirs, conflicts, choices: {} });
      } else {
        setOverlap(null);
        await preview(mergedText);
      }
    } catch (error) {
      setConflict((c) => ({ ...c, busy: false, error }));
    }
  };

  const choose = (path, side) => {
    const choices = { ...overlap.choices, [path]: side };
    setOverlap({ ...overlap, choices });
    setText(lib.toYaml(threeWayMerge(overlap.base, overlap.mine, overlap.theirs, choices).merged));
  };
  const previewMerged = async () => {
    setOverlap(null);
    await preview();
  };
  const unresolved = overlap ? overlap.conflicts.some((c) => !overlap.choices[c.path]) : false;

  const discard = async () => {
    setConflict((c) => ({ ...c, busy: true, error: null }));
    try {
      onObject(await fetchLatest());
      setConflict(null);
      cancel();
    } catch (error) {
      setConflict((c) => ({ ...c, busy: false, error }));
    }
  };

  const onChange = (next) => {
    setText(next);
    if (syntax) setSyntax(null);
  };

  const reviewStale = review && review.status !== "loading" && review.text !== text;
  const marked = [syntax?.line, ...(review && !reviewStale ? (review.causes ?? []).map((c) => c.line) : [])].filter(Boolean);
  const reveal = (line) => editorRef.current?.revealLine(line);
  if (!lib) return html`<${LoadingBlock} label="Loading YAML…" />`;

  return html`<div class="yaml-tab">
    <div class="yaml-toolbar">
      ${editing
        ? html`<span class="yaml-mode is-editing"><${Icon} name="edit" size=${14} /> Editing — changes are checked by a server dry run before they are applied</span>
          <div class="toolbar-spacer"></div>
          <button type="button" class="button" onClick=${cancel} disabled=${applying}>Cancel</button>
          <button type="button" class="button button-primary" onClick=${() => preview()} disabled=${review?.status === "loading" || applying || unresolved}>
            <${Icon} name="diff" size=${14} /> Preview changes
          </button>`
        : html`<span class="yaml-mode"><${Icon} name="eye" size=${14} /> Read-only · live object including status</span>
          <div class="toolbar-spacer"></div>
          <span class="copy-with-label">Copy <${CopyButton} text=${viewText} label="Copy YAML" /></span>
          ${canEdit && html`<button type="button" class="button button-primary" onClick=${startEdit}><${Icon} name="edit" size=${14} /> Edit</button>`}`}
    </div>
    ${syntax && html`<div class="form-error yaml-syntax" role="alert">
      <strong>YAML error</strong> at line ${syntax.line}, column ${syntax.column}: ${syntax.message}
      <button type="button" class="link-button" onClick=${() => reveal(syntax.line)}>Go to line</button>
    </div>`}
    <div class=${cx("yaml-workbench", editing && review && "has-review")}>
      <${CodeEditor} class="yaml-editor" value=${editing ? text : viewText} readOnly=${!editing} onChange=${onChange}
        markedLines=${marked} handleRef=${editorRef} label=${editing ? `Edit ${kind} ${name}` : `${kind} ${name} YAML`} />
      ${editing && overlap && html`<${Overlap} overlap=${overlap} onChoose=${choose} onPreview=${previewMerged} />`}
      ${editing && !overlap && review && html`<${Review} review=${review} stale=${reviewStale} applying=${applying} onApply=${apply}
        onPreview=${() => preview()} onReveal=${reveal} />`}
    </div>
    <${Modal} open=${conflict !== null} title=${`${kind} ${name} changed since you opened it`} busy=${conflict?.busy}
        onClose=${() => setConflict(null)} class="conflict-dialog"
        actions=${html`<button type="button" class="button" onClick=${discard} disabled=${conflict?.busy}>Discard my changes</button>
          <button type="button" class="button" onClick=${() => setConflict(null)} disabled=${conflict?.busy}>Keep editing</button>
          <button type="button" class="button button-primary" onClick=${reloadAndReapply} disabled=${conflict?.busy}>
            ${conflict?.busy ? "Reloading…" : "Reload and reapply"}</button>`}>
      <p class="dialog-message">Someone (or a controller) updated this object after you loaded it, so the API server refused the write
        to avoid losing their change <span class="muted">(conflict 40901)</span>.</p>
      <p class="dialog-message"><strong>Reload and reapply</strong> fetches the latest version, merges your edits (what you changed
        since you opened the editor) onto it and shows a new preview; their changes to other fields are kept. Where you both changed
        the same field, you choose which value to keep.</p>
      ${conflict?.error && html`<div class="form-error" role="alert">${conflict.error.message}</div>`}
    </${Modal}>
  </div>`;
}

/** Fields both sides changed differently: keep mine or take theirs, then preview the merged text. */
function Overlap({ overlap, onChoose, onPreview }) {
  const shown = (value) => (value === undefined ? "(removed)" : JSON.stringify(value));
  const open = overlap.conflicts.filter((c) => !overlap.choices[c.path]).length;
  return html`<section class="review card" aria-label="Merge conflicts">
    <header class="review-header review-error">
      <${Icon} name="alert" size=${16} />
      <h3 class="review-title">${overlap.conflicts.length} field${overlap.conflicts.length === 1 ? "" : "s"} changed by you and by someone else</h3>
      <div class="toolbar-spacer"></div>
      <button type="button" class="button button-primary" onClick=${onPreview} disabled=${open > 0}>Preview merged result</button>
    </header>
    <p class="review-message">Your other edits were merged onto the latest version. Choose a value for each field below.</p>
    <ul class="plain-list merge-conflicts">${overlap.conflicts.map((c) => html`<li key=${c.path} class="merge-conflict">
      <div class="mono"><strong>${c.path}</strong></div>
      <div class="small">Yours: <span class="mono">${shown(c.mine)}</span> · Latest: <span class="mono">${shown(c.theirs)}</span></div>
      <div class="merge-choices">
        <button type="button" class=${cx("button", overlap.choices[c.path] === "mine" && "button-primary")} aria-pressed=${overlap.choices[c.path] === "mine" ? "true" : "false"}
          onClick=${() => onChoose(c.path, "mine")}>Keep mine</button>
        <button type="button" class=${cx("button", overlap.choices[c.path] === "theirs" && "button-primary")} aria-pressed=${overlap.choices[c.path] === "theirs" ? "true" : "false"}
          onClick=${() => onChoose(c.path, "theirs")}>Take latest</button>
      </div>
    </li>`)}</ul>
  </section>`;
}

function Review({ review, stale, applying, onApply, onPreview, onReveal }) {
  if (review.status === "loading") {
    return html`<div class="review card"><div class="review-loading"><${Spinner} size="sm" inline /> Running a server dry run…</div></div>`;
  }
  const header = {
    ok: ["check", "ok", "Dry run passed"],
    invalid: ["alert", "error", "The API server rejected these changes"],
    error: ["alert", "error", "The dry run failed"],
  }[review.status];
  const empty = review.status === "ok" && !review.diff?.trim();
  return html`<section class="review card" aria-label="Review changes">
    <header class=${`review-header review-${header[1]}`}>
      <${Icon} name=${header[0]} size=${16} />
      <h3 class="review-title">${header[2]}</h3>
      <div class="toolbar-spacer"></div>
      ${review.status === "ok" && html`<button type="button" class="button button-primary" onClick=${onApply}
          disabled=${applying || stale || empty}>${applying ? "Applying…" : "Apply"}</button>`}
    </header>
    ${stale && html`<div class="notice review-stale">The YAML changed after this preview.
      <button type="button" class="link-button" onClick=${onPreview}>Preview again</button></div>`}
    ${review.status === "invalid" && html`<p class="review-message">${review.message}</p>
      <${CausesList} causes=${review.causes} onReveal=${onReveal} />`}
    ${review.status === "error" && html`<p class="review-message">${review.error.message}${review.error.code ? ` (${review.error.code})` : ""}</p>
      ${review.error.requestId && html`<p class="muted small mono">Request ${review.error.requestId}</p>`}`}
    ${review.status === "ok" && html`${review.causes?.length ? html`<${CausesList} causes=${review.causes} onReveal=${onReveal} />` : ""}
      <${DiffView} diff=${review.diff} />`}
  </section>`;
}
