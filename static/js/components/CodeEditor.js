/**
 * A YAML code editor (CodeMirror 6, loaded on first use) with line numbers, highlighting, search
 * (Ctrl/Cmd+F), folding and marked error lines. Read-only mode shows the same view without editing.
 * The parent owns the text: `value` is pushed into the editor when it differs from what it shows.
 */
import { html, cx, useEffect, useRef, useState } from "../lib/ui.js";
import { Spinner } from "./Spinner.js";

/**
 * @param {{value: string, readOnly?: boolean, onChange?: (text: string) => void, markedLines?: number[],
 *          label?: string, class?: string, handleRef?: {current: any}}} props
 *   `handleRef.current` receives the editor handle (revealLine, focus…) once it is mounted.
 */
export function CodeEditor({ value, readOnly = false, onChange, markedLines = [], label = "YAML", class: className, handleRef }) {
  const hostRef = useRef(null);
  const editor = useRef(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  // Texts the editor itself reported. Effects run after paint, so while the user types, `value`
  // lags behind the document; pushing such an echo back would undo keystrokes and start a
  // ping-pong between two versions. Only a value the editor never produced is an outside change.
  const emitted = useRef(new Set());
  const emit = (text) => {
    emitted.current.add(text);
    if (emitted.current.size > 64) emitted.current.delete(emitted.current.values().next().value);
    onChangeRef.current?.(text);
  };
  const [state, setState] = useState("loading");

  useEffect(() => {
    let cancelled = false;
    import("../lib/codemirror.js").then(
      ({ createEditor }) => {
        if (cancelled) return;
        editor.current = createEditor(hostRef.current, {
          doc: value, readOnly, label, onChange: emit,
        });
        if (handleRef) handleRef.current = editor.current;
        setState("ready");
      },
      (error) => {
        console.warn("editor failed to load", error);
        if (!cancelled) setState("failed");
      },
    );
    return () => {
      cancelled = true;
      editor.current?.destroy();
      editor.current = null;
      if (handleRef) handleRef.current = null;
    };
  }, []);

  useEffect(() => {
    if (!editor.current || emitted.current.has(value)) return;
    emitted.current.clear();
    editor.current.setText(value);
  }, [value, state]);
  useEffect(() => editor.current?.setReadOnly(readOnly), [readOnly, state]);
  const markKey = markedLines.join(",");
  useEffect(() => editor.current?.markLines(markedLines), [markKey, state]);

  return html`<div class=${cx("code-editor", readOnly && "is-readonly", className)} data-state=${state}>
    <div class="code-editor-host" ref=${hostRef}></div>
    ${state === "loading" && html`<div class="code-editor-overlay"><${Spinner} size="sm" label="Loading editor" /></div>`}
    ${state === "failed" && html`<pre class="code-editor-fallback">${value}</pre>`}
  </div>`;
}
