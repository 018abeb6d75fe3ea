/**
 * Loading xterm.js on demand: the library (with the fit addon) is imported only when a terminal or
 * a recording player is first shown, its stylesheet is linked once, and the CSP shims are installed.
 */
import { installXtermStyles } from "./xtermStyles.js";

let loading = null;

/** Terminal colours: dark in both app themes, like most terminal emulators. */
export const TERMINAL_THEME = Object.freeze({
  background: "#0f1420", foreground: "#e5e9f0", cursor: "#8db0ff", cursorAccent: "#0f1420",
  selectionBackground: "#34507f", black: "#1b2130", brightBlack: "#5c667a",
});

/**
 * @returns {Promise<{Terminal: any, FitAddon: any}>}
 */
export function loadXterm() {
  if (!loading) {
    installXtermStyles();
    const href = import.meta.resolve("@xterm/xterm/css/xterm.css");
    if (!document.querySelector(`link[href="${href}"]`)) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.append(link);
    }
    loading = Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")])
      .then(([xterm, fit]) => ({ Terminal: xterm.Terminal, FitAddon: fit.FitAddon }));
  }
  return loading;
}

/**
 * Create a terminal in `element`, fitted to it.
 * @param {HTMLElement} element
 * @param {{readOnly?: boolean, cols?: number, rows?: number}} [options]
 * @returns {Promise<{term: any, fit: any}>}
 */
export async function createTerminal(element, { readOnly = false, cols, rows } = {}) {
  const { Terminal, FitAddon } = await loadXterm();
  const term = new Terminal({
    cursorBlink: !readOnly,
    disableStdin: readOnly,
    convertEol: false,
    fontFamily: 'ui-monospace, "SF Mono", "Cascadia Code", "JetBrains Mono", Menlo, Consolas, monospace',
    fontSize: 13,
    scrollback: 5000,
    theme: TERMINAL_THEME,
    ...(cols ? { cols } : {}),
    ...(rows ? { rows } : {}),
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(element);
  return { term, fit };
}
