/**
 * An xterm.js terminal that fills its box and refits when the box changes size. The parent gets the
 * terminal through `onReady({term, fit})` and wires input/output itself (this component does no I/O).
 */
import { html, useEffect, useRef, useState } from "../lib/ui.js";
import { createTerminal } from "../lib/terminal.js";
import { Spinner } from "./Spinner.js";

/**
 * @param {{onReady: (api: {term: any, fit: any}) => void, readOnly?: boolean, fitToBox?: boolean,
 *          label?: string, class?: string}} props
 *   `fitToBox` false keeps the terminal's own size (a recording's width × height).
 */
export function XTerm({ onReady, readOnly = false, fitToBox = true, label = "Terminal", class: className = "" }) {
  const hostRef = useRef(null);
  const [failed, setFailed] = useState(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let disposed = false;
    let observer = null;
    let api = null;
    createTerminal(hostRef.current, { readOnly }).then((created) => {
      if (disposed) {
        created.term.dispose();
        return;
      }
      api = created;
      const refit = () => {
        if (!fitToBox || !hostRef.current?.offsetWidth) return;
        try {
          created.fit.fit();
        } catch {
          // not laid out yet
        }
      };
      refit();
      observer = new ResizeObserver(() => requestAnimationFrame(refit));
      observer.observe(hostRef.current);
      setReady(true);
      onReady(created);
    }, (error) => !disposed && setFailed(error));
    return () => {
      disposed = true;
      observer?.disconnect();
      api?.term.dispose();
    };
  }, []);
  return html`<div class=${`xterm-box ${className}`}>
    <div class="xterm-host" ref=${hostRef} role="application" aria-label=${label}></div>
    ${!ready && !failed && html`<div class="xterm-overlay"><${Spinner} size="sm" inline /> Loading terminal…</div>`}
    ${failed && html`<div class="xterm-overlay text-error">The terminal could not load: ${failed.message}</div>`}
  </div>`;
}
