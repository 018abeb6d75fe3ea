/**
 * The Terminal tab of a pod: an interactive shell over the exec socket. The user picks the
 * container and the shell (Auto = the server tries bash, then sh); resizing the box sends resize
 * frames; copy/paste via the toolbar or Ctrl+Shift+C / Ctrl+Shift+V. When the session ends the
 * exit status is shown and Reconnect starts a new shell.
 */
import { html, cx, useEffect, useMemo, useRef, useState } from "../../lib/ui.js";
import { userMay } from "../../lib/permissions.js";
import { openExec } from "../../api/streams.js";
import { Link } from "../../router.js";
import { notifyError, pushToast } from "../../state/toasts.js";
import { XTerm } from "../../components/XTerm.js";
import { Icon } from "../../components/Icon.js";
import { EmptyState } from "../../components/EmptyState.js";

const SHELLS = [["", "Auto (bash, then sh)"], ["bash", "bash"], ["sh", "sh"], ["ash", "ash"], ["zsh", "zsh"]];
const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

/**
 * @param {{clusterId: string, name: string, namespace?: string, object: object, kind: object}} props
 */
export function TerminalTab({ clusterId, name, namespace, object, kind }) {
  const containers = useMemo(() => (object?.spec?.containers ?? []).map((c) => c.name), [object]);
  const [container, setContainer] = useState(object?.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION] ?? containers[0] ?? "");
  const [shell, setShell] = useState("");
  /** @typedef {{state: string, started?: object, exit?: object, error?: object}} TerminalState idle | connecting | open | exited | closed | error */
  const [status, setStatus] = useState(/** @type {TerminalState} */ ({ state: "idle" }));
  const termRef = useRef(null);
  const sessionRef = useRef(null);
  const generationRef = useRef(0);
  const allowed = userMay(kind, "exec");
  const running = object?.status?.phase === "Running";

  const disconnect = () => {
    generationRef.current += 1;
    sessionRef.current?.close();
    sessionRef.current = null;
  };
  useEffect(() => disconnect, []);

  const connect = async () => {
    const api = termRef.current;
    if (!api) return;
    disconnect();
    const generation = generationRef.current;
    const { term } = api;
    term.reset();
    term.focus();
    setStatus({ state: "connecting" });
    let exited = false;
    try {
      const session = await openExec({
        clusterId, namespace, pod: name, container, command: shell ? [shell] : [], cols: term.cols, rows: term.rows,
      }, {
        onOutput: (text) => generation === generationRef.current && term.write(text),
        onControl: (frame) => {
          if (generation !== generationRef.current) return;
          if (frame.type === "started") setStatus({ state: "open", started: frame });
          else if (frame.type === "exit") {
            exited = true;
            const code = frame.exitCode ?? "unknown";
            term.write(`\r\n\x1b[2m[session ended: ${frame.status === "Success" ? "exit code 0" : `exit code ${code}`}]\x1b[0m\r\n`);
            setStatus((prev) => ({ ...prev, state: "exited", exit: frame }));
          } else if (frame.type === "error") {
            exited = true;
            setStatus({ state: "error", error: frame });
          } else if (frame.type === "warning") {
            pushToast({ kind: "info", message: frame.message });
          }
        },
        onClose: (event) => {
          if (generation !== generationRef.current) return;
          sessionRef.current = null;
          if (!exited) {
            term.write("\r\n\x1b[2m[connection closed]\x1b[0m\r\n");
            setStatus((prev) => ({ ...prev, state: event.code === 4001 ? "error" : "closed",
              error: event.code === 4001 ? { message: "Your session ended; sign in again." } : null }));
          }
        },
      });
      if (generation !== generationRef.current) {
        session.close();
        return;
      }
      sessionRef.current = session;
    } catch (error) {
      setStatus({ state: "error", error });
    }
  };

  const onReady = (api) => {
    termRef.current = api;
    const { term } = api;
    term.onData((data) => sessionRef.current?.send(data));
    term.onResize(({ cols, rows }) => sessionRef.current?.resize(cols, rows));
    term.attachCustomKeyEventHandler((event) => {
      if (event.type !== "keydown" || !event.ctrlKey || !event.shiftKey) return true;
      if (event.code === "KeyC") {
        copySelection();
        return false;
      }
      if (event.code === "KeyV") {
        paste();
        return false;
      }
      return true;
    });
    if (allowed && running) connect();
  };

  const copySelection = async () => {
    const text = termRef.current?.term.getSelection();
    if (!text) return pushToast({ kind: "info", message: "Select text in the terminal first." });
    try {
      await navigator.clipboard.writeText(text);
      pushToast({ kind: "success", message: "Copied the selection." });
    } catch (error) {
      notifyError("Could not copy", error);
    }
    return undefined;
  };
  const paste = async () => {
    try {
      const text = await navigator.clipboard.readText();
      if (text) termRef.current?.term.paste(text);
    } catch {
      pushToast({ kind: "info", message: "Paste with Ctrl+V (or ⌘V) inside the terminal: the browser blocked clipboard access." });
    }
    termRef.current?.term.focus();
  };

  if (!namespace) return null;
  if (!allowed) {
    return html`<div class="card"><${EmptyState} icon="lock" title="Terminal not available">You may not open a shell in pods here.</${EmptyState}></div>`;
  }
  const live = status.state === "open" || status.state === "connecting";
  return html`<div class="terminal-panel">
    <div class="toolbar">
      ${containers.length > 1 && html`<label class="inline-field"><span class="field-label">Container</span>
        <select value=${container} onChange=${(e) => setContainer(e.currentTarget.value)} aria-label="Container">
          ${containers.map((c) => html`<option key=${c} value=${c}>${c}</option>`)}
        </select></label>`}
      <label class="inline-field"><span class="field-label">Shell</span>
        <select value=${shell} onChange=${(e) => setShell(e.currentTarget.value)} aria-label="Shell">
          ${SHELLS.map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
        </select></label>
      ${live
        ? html`<button type="button" class="button" onClick=${() => { disconnect(); setStatus({ state: "closed" }); termRef.current?.term.write("\r\n\x1b[2m[disconnected]\x1b[0m\r\n"); }}>
            <${Icon} name="power" size=${14} /> Disconnect</button>`
        : html`<button type="button" class="button button-primary" onClick=${connect}>
            <${Icon} name="refresh" size=${14} /> ${status.state === "idle" ? "Connect" : "Reconnect"}</button>`}
      <div class="toolbar-spacer"></div>
      <button type="button" class="button" onClick=${copySelection} title="Copy the selection (Ctrl+Shift+C)"><${Icon} name="copy" size=${14} /> Copy</button>
      <button type="button" class="button" onClick=${paste} title="Paste (Ctrl+Shift+V)"><${Icon} name="clipboard" size=${14} /> Paste</button>
      <button type="button" class="button" onClick=${() => termRef.current?.term.clear()} title="Clear the screen"><${Icon} name="trash" size=${14} /> Clear</button>
    </div>
    ${!running && status.state === "idle" && html`<div class="notice">This pod is ${object?.status?.phase ?? "not running"}; a shell needs a running container.</div>`}
    <${XTerm} onReady=${onReady} label=${`Terminal in ${name}`} class="terminal-main" />
    <${TerminalStatus} status=${status} />
  </div>`;
}

function TerminalStatus({ status }) {
  const { state, started, exit, error } = status;
  let tone = "warn";
  /** @type {string | ReturnType<typeof html>} */
  let text = "Not connected";
  if (state === "connecting") text = "Connecting…";
  if (state === "open") {
    tone = "ok";
    text = html`Connected · <span class="mono">${(started?.command ?? []).join(" ")}</span> in <span class="mono">${started?.container}</span>
      ${started?.recorded && html` · <span class="muted">recorded</span>`}`;
  }
  if (state === "exited") {
    const ok = exit?.status === "Success";
    tone = ok ? "ok" : "error";
    text = ok ? "Session ended: the shell exited with code 0."
      : `Session ended: exit code ${exit?.exitCode ?? "unknown"}${exit?.reason ? ` (${exit.reason})` : ""}${exit?.message ? ` — ${exit.message}` : ""}.`;
  }
  if (state === "closed") text = "Disconnected.";
  if (state === "error") {
    tone = "error";
    text = `${error?.message ?? "The terminal failed"}${error?.code ? ` (${error.code})` : ""}`;
  }
  return html`<div class=${cx("terminal-status", `terminal-status-${tone}`)} role="status">
    <span class=${`live live-${tone}`}><span class="live-dot" aria-hidden="true"></span></span>
    <span>${text}</span>
    ${started?.sessionId && html`<span class="toolbar-spacer"></span><${Link} href=${`/terminal-sessions/${encodeURIComponent(started.sessionId)}`} class="muted small">Session ${started.sessionId.slice(0, 10)}…</${Link}>`}
  </div>`;
}
