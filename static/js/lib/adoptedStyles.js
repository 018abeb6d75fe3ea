/**
 * Make CodeMirror's style-mod write its CSS into a constructable stylesheet adopted by the document
 * instead of a <style> element, which the CSP (`style-src 'self'`, no nonce for styles) refuses.
 *
 * style-mod uses adoptedStyleSheets only for shadow roots. Mounting editors in shadow roots works
 * for display but hangs Chromium on Backspace/Delete (native selection handling across the shadow
 * boundary), so editors live in the document and `StyleModule.mount` — style-mod's public entry
 * point, which CodeMirror calls — is wrapped: for a Document it keeps the same ordered list of
 * modules and inserts their rules into one adopted CSSStyleSheet, exactly as style-mod itself does
 * for shadow roots. Other roots are passed through unchanged.
 */
import { StyleModule } from "style-mod";

const sheets = new WeakMap(); // Document → {sheet, modules}
let installed = false;

function mountInDocument(doc, modules) {
  let entry = sheets.get(doc);
  if (!entry) {
    entry = { sheet: new doc.defaultView.CSSStyleSheet(), modules: [] };
    sheets.set(doc, entry);
  }
  const { sheet } = entry;
  // The same bookkeeping as style-mod's StyleSet.mount: modules keep their relative order and a
  // module's rules are inserted once, before those of the modules that follow it.
  let pos = 0;
  let j = 0;
  for (const mod of modules) {
    let index = entry.modules.indexOf(mod);
    if (index < j && index > -1) {
      entry.modules.splice(index, 1);
      j--;
      index = -1;
    }
    if (index === -1) {
      entry.modules.splice(j++, 0, mod);
      for (const rule of mod.rules) sheet.insertRule(rule, pos++);
    } else {
      while (j < index) pos += entry.modules[j++].rules.length;
      pos += mod.rules.length;
      j++;
    }
  }
  if (!doc.adoptedStyleSheets.includes(sheet)) doc.adoptedStyleSheets = [sheet, ...doc.adoptedStyleSheets];
}

/** Route style-mod's document mounts to an adopted stylesheet (idempotent). */
export function installAdoptedStyles() {
  if (installed) return;
  installed = true;
  const original = StyleModule.mount;
  StyleModule.mount = function mount(root, modules, options) {
    if (root && "nodeType" in root && root.nodeType === 9 && "adoptedStyleSheets" in root) {
      mountInDocument(root, Array.isArray(modules) ? modules : [modules]);
      return;
    }
    original.call(this, root, modules, options);
  };
}
