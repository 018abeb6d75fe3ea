/**
 * The CodeMirror 6 editor used for manifests (loaded on demand by components/CodeEditor.js).
 *
 * CSP: CodeMirror's styles go into an adopted constructable stylesheet (see adoptedStyles.js), never
 * a <style> element or style attribute. Colours come from the app's CSS custom properties, so the
 * editor follows the light/dark theme.
 */
import { basicSetup } from "codemirror";
import { Compartment, EditorState, RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, keymap } from "@codemirror/view";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { tags as t } from "@lezer/highlight";
import { installAdoptedStyles } from "./adoptedStyles.js";

installAdoptedStyles();

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "12.5px", color: "var(--text)", backgroundColor: "var(--surface)" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.6" },
  ".cm-content": { padding: "8px 0", caretColor: "var(--text)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--surface-2)", color: "var(--text-3)", borderRight: "1px solid var(--border)" },
  ".cm-lineNumbers .cm-gutterElement": { padding: "0 10px 0 14px", minWidth: "38px" },
  ".cm-activeLine": { backgroundColor: "var(--cm-active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--cm-active-line)", color: "var(--text)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
    { backgroundColor: "var(--cm-selection) !important" },
  ".cm-selectionMatch": { backgroundColor: "var(--cm-match)" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "var(--cm-match)", outline: "none" },
  ".cm-foldPlaceholder": { backgroundColor: "var(--surface-2)", border: "1px solid var(--border)", color: "var(--text-3)" },
  ".cm-markedLine": { backgroundColor: "var(--error-soft)", boxShadow: "inset 3px 0 0 var(--error)" },
  ".cm-panels": { backgroundColor: "var(--surface-2)", color: "var(--text)" },
  ".cm-panels.cm-panels-bottom": { borderTop: "1px solid var(--border)" },
  ".cm-panels.cm-panels-top": { borderBottom: "1px solid var(--border)" },
  ".cm-textfield": { backgroundColor: "var(--surface)", border: "1px solid var(--border-strong)", borderRadius: "4px", color: "var(--text)" },
  ".cm-button": { backgroundImage: "none", backgroundColor: "var(--surface)", border: "1px solid var(--border-strong)", borderRadius: "4px", color: "var(--text)" },
  ".cm-tooltip": { backgroundColor: "var(--surface)", border: "1px solid var(--border)", color: "var(--text)" },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": { backgroundColor: "var(--accent)", color: "var(--accent-contrast)" },
  "&.cm-readonly .cm-cursor": { display: "none" },
});

const highlight = HighlightStyle.define([
  { tag: [t.definition(t.propertyName), t.propertyName], color: "var(--cm-key)" },
  { tag: [t.string, t.special(t.string)], color: "var(--cm-string)" },
  { tag: [t.content, t.attributeValue], color: "var(--cm-value)" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "var(--cm-number)" },
  { tag: [t.comment, t.lineComment], color: "var(--cm-comment)", fontStyle: "italic" },
  { tag: [t.keyword, t.meta, t.typeName, t.labelName], color: "var(--cm-meta)" },
  { tag: [t.separator, t.punctuation, t.squareBracket, t.brace], color: "var(--text-3)" },
]);

/** @type {import("@codemirror/state").StateEffectType<number[]>} */
const setMarks = StateEffect.define();
const marks = StateField.define({
  create: () => Decoration.none,
  update(value, tr) {
    let next = value.map(tr.changes);
    for (const effect of tr.effects) {
      if (!effect.is(setMarks)) continue;
      /** @type {RangeSetBuilder<Decoration>} */
      const builder = new RangeSetBuilder();
      const lines = [...new Set(effect.value)].filter((n) => n >= 1 && n <= tr.state.doc.lines).sort((a, b) => a - b);
      for (const n of lines) {
        const line = tr.state.doc.line(n);
        builder.add(line.from, line.from, Decoration.line({ class: "cm-markedLine" }));
      }
      next = builder.finish();
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * @typedef {object} EditorHandle
 * @property {() => string} getText
 * @property {(text: string) => void} setText replace the whole document (keeps nothing of the old)
 * @property {(readOnly: boolean) => void} setReadOnly
 * @property {(lines: number[]) => void} markLines highlight 1-based lines (errors)
 * @property {(line: number) => void} revealLine scroll to a 1-based line and put the cursor there
 * @property {() => void} focus
 * @property {() => void} destroy
 */

/**
 * Mount an editor inside `host` (its previous content is replaced).
 * @param {HTMLElement} host
 * @param {{doc: string, readOnly?: boolean, label?: string, onChange?: (text: string) => void}} options
 * @returns {EditorHandle}
 */
export function createEditor(host, { doc, readOnly = false, label = "YAML editor", onChange }) {
  host.replaceChildren();
  const readOnlyCompartment = new Compartment();
  const readOnlyExtensions = (value) => [EditorState.readOnly.of(value), EditorView.editorAttributes.of({ class: value ? "cm-readonly" : "" })];
  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc,
      extensions: [
        basicSetup,
        keymap.of([indentWithTab]),
        yaml(),
        syntaxHighlighting(highlight),
        theme,
        marks,
        EditorState.tabSize.of(2),
        EditorView.contentAttributes.of({ "aria-label": label, spellcheck: "false" }),
        readOnlyCompartment.of(readOnlyExtensions(readOnly)),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange?.(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    getText: () => view.state.doc.toString(),
    setText(text) {
      if (text === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    setReadOnly(value) {
      view.dispatch({ effects: readOnlyCompartment.reconfigure(readOnlyExtensions(value)) });
    },
    markLines(lines) {
      view.dispatch({ effects: setMarks.of(lines) });
    },
    revealLine(number) {
      const line = view.state.doc.line(Math.min(Math.max(1, number), view.state.doc.lines));
      view.dispatch({ selection: { anchor: line.from }, effects: EditorView.scrollIntoView(line.from, { y: "center" }) });
      view.focus();
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
