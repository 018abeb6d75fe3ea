/**
 * Let xterm.js run under the strict CSP (`style-src 'self'`: no inline <style>, no style attributes).
 *
 * xterm's DOM renderer writes its theme and cell-size rules into <style> elements it creates with
 * `document.createElement("style")` and only ever sets their `textContent` or removes them. Those
 * elements are refused by the CSP. Installing this module makes `document.createElement("style")`
 * return a `<kv-adopted-style>` element instead: setting its textContent replaces the rules of a
 * constructable stylesheet, which is adopted by the document while the element is connected.
 * Constructable stylesheets are not inline styles, so the CSP allows them (the same technique as
 * lib/adoptedStyles.js uses for CodeMirror).
 *
 * xterm also sets true-colour cells with `setAttribute("style", …)`; for elements inside an
 * `.xterm` terminal that is routed through the CSSOM (`element.style.cssText`), which the CSP allows.
 */

let installed = false;

class AdoptedStyle extends HTMLElement {
  constructor() {
    super();
    this.sheet = new CSSStyleSheet();
    this.css = "";
  }

  get textContent() {
    return this.css;
  }

  set textContent(value) {
    this.css = String(value ?? "");
    this.sheet.replaceSync(this.css);
  }

  connectedCallback() {
    this.hidden = true;
    if (!document.adoptedStyleSheets.includes(this.sheet)) document.adoptedStyleSheets = [...document.adoptedStyleSheets, this.sheet];
  }

  disconnectedCallback() {
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== this.sheet);
  }
}

/** Install the <style> and style-attribute shims (idempotent). Call before creating a Terminal. */
export function installXtermStyles() {
  if (installed) return;
  installed = true;
  customElements.define("kv-adopted-style", AdoptedStyle);
  const createElement = Document.prototype.createElement;
  document.createElement = function create(tagName, options) {
    if (String(tagName).toLowerCase() === "style") return createElement.call(this, "kv-adopted-style");
    return createElement.call(this, tagName, options);
  };
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function set(name, value) {
    if (String(name).toLowerCase() === "style" && this instanceof HTMLElement && isTerminalCell(this)) {
      this.style.cssText = String(value);
      return;
    }
    setAttribute.call(this, name, value);
  };
}

// Cells are styled before they are attached: a detached span or anything inside an .xterm element.
function isTerminalCell(element) {
  return !element.isConnected ? element.tagName === "SPAN" : Boolean(element.closest(".xterm"));
}
