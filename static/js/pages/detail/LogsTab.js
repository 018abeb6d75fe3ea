/**
 * The Logs tab of a pod (one container) or a workload (all its pods merged, each line tagged with
 * its pod and container). Options map onto the log socket's query (docs/websockets.md); changing
 * one restarts the stream. The filter runs in the browser over the buffered lines.
 */
import { html, useEffect, useMemo, useRef, useState } from "../../lib/ui.js";
import { LogBuffer, compileFilter } from "../../lib/logBuffer.js";
import { formatCount } from "../../lib/format.js";
import { downloadPodLog, openLogStream } from "../../api/streams.js";
import { notifyError } from "../../state/toasts.js";
import { LogViewer } from "../../components/LogViewer.js";
import { ToggleButton } from "../../components/ToggleButton.js";
import { Icon } from "../../components/Icon.js";
import { Spinner } from "../../components/Spinner.js";
import { EmptyState } from "../../components/EmptyState.js";

const TAILS = [["100", "Last 100"], ["500", "Last 500"], ["1000", "Last 1,000"], ["5000", "Last 5,000"], ["all", "Everything"]];
const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";
const STATE_LABELS = { connecting: "Connecting…", open: "Streaming", reconnecting: "Reconnecting…", ended: "Stream ended", error: "Error" };

function containersOf(object, resource) {
  const spec = resource === "pods" ? object?.spec : object?.spec?.template?.spec;
  return (spec?.containers ?? []).map((c) => c.name);
}

/**
 * @param {{clusterId: string, resource: string, name: string, namespace?: string, object: object}} props
 */
export function LogsTab({ clusterId, resource, name, namespace, object }) {
  const isPod = resource === "pods";
  const containers = useMemo(() => containersOf(object, resource), [object, resource]);
  const defaultContainer = isPod
    ? object?.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION] ?? containers[0] ?? ""
    : "";
  const [options, setOptions] = useState({ container: defaultContainer, tail: "500", follow: true, previous: false, timestamps: false });
  const [filterText, setFilterText] = useState("");
  const [wrap, setWrap] = useState(false);
  const [stick, setStick] = useState(true);
  const [version, setVersion] = useState(0);
  const [stream, setStream] = useState({ state: "connecting", error: null });
  // The server's `waiting` frame: the container has not started yet (why), until `started` comes.
  const [waiting, setWaiting] = useState(null);
  const bufferRef = useRef(null);
  if (!bufferRef.current) bufferRef.current = new LogBuffer();
  const buffer = bufferRef.current;
  const pausedAtRef = useRef(0);
  const filter = useMemo(() => compileFilter(filterText), [filterText]);

  // Coalesce many frames into one render per animation frame.
  const frameRef = useRef(0);
  const bump = () => {
    if (frameRef.current) return;
    frameRef.current = requestAnimationFrame(() => {
      frameRef.current = 0;
      setVersion(buffer.version);
    });
  };
  useEffect(() => () => cancelAnimationFrame(frameRef.current), []);

  useEffect(() => {
    buffer.setFilter(filter.regex);
    setVersion(buffer.version);
  }, [filter.regex]);

  useEffect(() => {
    if (!namespace) return undefined;
    buffer.clear();
    setStick(true);
    setStream({ state: "connecting", error: null });
    setWaiting(null);
    const query = {
      container: options.container || undefined,
      follow: options.follow,
      timestamps: options.timestamps,
      previous: isPod && options.previous ? true : undefined,
      // A pod's stream survives container restarts (workload streams always do).
      followRestarts: isPod && options.follow && !options.previous ? true : undefined,
      tailLines: options.tail === "all" ? (isPod ? undefined : 100000) : Number(options.tail),
    };
    const meta = (text) => buffer.push([{ text, meta: true }]);
    const close = openLogStream({ clusterId, namespace, resource, name }, query, {
      onState: (state, detail) => setStream({ state, error: state === "error" ? detail : null }),
      onFrame: (frame) => {
        switch (frame.type) {
          case "log":
            buffer.push(isPod
              ? frame.lines.map((text) => ({ text: String(text) }))
              : frame.lines.map((l) => ({ text: String(l.line ?? ""), pod: l.pod, container: l.container })));
            break;
          case "waiting":
            setWaiting(frame);
            return;
          case "started":
            setWaiting(null);
            meta(`▸ container ${frame.container} started`);
            break;
          case "pod-start":
            meta(`▸ ${frame.pod} joined (${(frame.containers ?? []).join(", ")})`);
            break;
          case "pod-end":
            meta(`▪ ${frame.pod} left (${frame.reason ?? "ended"})`);
            break;
          case "container-restart":
            meta(`↻ ${frame.pod ? `${frame.pod}/` : ""}${frame.container} restarted (restart ${frame.restartCount}); following the new container`);
            break;
          case "pod-error":
            meta(`⚠ ${frame.pod}/${frame.container}: ${frame.message}`);
            break;
          case "reconnected":
            meta("— reconnected —");
            break;
          case "end":
            meta(options.follow ? "— the pod stopped; stream ended —" : "— end of log —");
            break;
          default:
            return;
        }
        bump();
      },
    });
    return close;
  }, [clusterId, namespace, resource, name, options.container, options.tail, options.follow, options.previous, options.timestamps]);

  const set = (patch) => setOptions((prev) => ({ ...prev, ...patch }));
  const onStickChange = (next) => {
    if (!next) pausedAtRef.current = buffer.nextSeq;
    setStick(next);
  };
  const newSincePause = stick ? 0 : buffer.nextSeq - pausedAtRef.current;

  const download = async () => {
    if (isPod) {
      try {
        await downloadPodLog({ clusterId, namespace, name }, {
          container: options.container || undefined, previous: options.previous || undefined, timestamps: options.timestamps || undefined,
        });
      } catch (error) {
        notifyError("Could not download the log", error);
      }
      return;
    }
    const blob = new Blob([buffer.toText()], { type: "text/plain;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${name}${options.container ? `-${options.container}` : ""}.log`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  };

  if (!namespace) return html`<div class="card"><${EmptyState} icon="fileText" title="No logs">Only namespaced workloads have logs.</${EmptyState}></div>`;
  const shownCount = buffer.visibleCount;
  const error = stream.error;
  return html`<div class="logs-panel">
    <div class="toolbar log-toolbar">
      ${(isPod ? containers.length > 1 : containers.length > 0) && html`<label class="inline-field">
        <span class="field-label">Container</span>
        <select value=${options.container} onChange=${(e) => set({ container: e.currentTarget.value })} aria-label="Container">
          ${!isPod && html`<option value="">All containers</option>`}
          ${containers.map((c) => html`<option key=${c} value=${c}>${c}</option>`)}
        </select>
      </label>`}
      <label class="inline-field">
        <span class="field-label">${isPod ? "Lines" : "Lines per container"}</span>
        <select value=${options.tail} onChange=${(e) => set({ tail: e.currentTarget.value })} aria-label="Lines to load">
          ${TAILS.map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
        </select>
      </label>
      <div class="button-group">
        <${ToggleButton} pressed=${options.follow} onChange=${(v) => set({ follow: v })} label="Follow" icon="play" />
        ${isPod && html`<${ToggleButton} pressed=${options.previous} onChange=${(v) => set({ previous: v })} label="Previous"
          title="Logs of the previous (restarted) container" icon="history" />`}
        <${ToggleButton} pressed=${options.timestamps} onChange=${(v) => set({ timestamps: v })} label="Timestamps" icon="clock" />
        <${ToggleButton} pressed=${wrap} onChange=${setWrap} label="Wrap" icon="wrap" />
      </div>
      <div class=${`log-filter${filter.error ? " has-error" : ""}`}>
        <${Icon} name="search" size=${14} />
        <input type="search" value=${filterText} placeholder="Filter (regex)" aria-label="Filter lines (regular expression)"
          aria-invalid=${filter.error ? "true" : "false"} onInput=${(e) => setFilterText(e.currentTarget.value)} />
        ${filter.regex && html`<span class="log-match-count" aria-live="polite">${formatCount(buffer.visibleCount)} match${buffer.visibleCount === 1 ? "" : "es"}</span>`}
      </div>
      <button type="button" class="button" onClick=${download} title=${isPod ? "Download the container's whole log" : "Download the loaded lines"}>
        <${Icon} name="download" size=${14} /> Download
      </button>
    </div>
    ${filter.error && html`<div class="inline-error" role="alert"><${Icon} name="alert" size=${14} /> Invalid regular expression: ${filter.error}</div>`}
    ${error && html`<div class="inline-error" role="alert"><${Icon} name="alert" size=${14} /> ${error.message ?? "The log stream failed"}${error.code ? ` (${error.code})` : ""}</div>`}
    ${waiting && html`<div class="notice log-waiting" role="status">
      <${Icon} name="clock" size=${14} /> Container <strong class="mono">${waiting.container}</strong> has not started yet:
      <strong>${waiting.reason}</strong>${waiting.message ? html` — ${waiting.message}` : ""}.
      ${options.follow ? " Its log will stream here as soon as it runs." : " Turn on Follow to wait for it."}
    </div>`}
    <div class="log-frame">
      <${LogViewer} buffer=${buffer} version=${version} regex=${filter.regex} wrap=${wrap} aggregated=${!isPod}
        stick=${stick} onStickChange=${onStickChange}
        empty=${waiting ? "Waiting for the container to start…"
          : stream.state === "connecting" ? html`<${Spinner} size="sm" inline /> Connecting…`
          : filter.regex && buffer.entries.length ? "No lines match the filter." : "No log lines yet."} />
      ${!stick && html`<button type="button" class="button button-primary log-resume" onClick=${() => setStick(true)}>
        <${Icon} name="chevronDown" size=${14} /> Resume auto-scroll${newSincePause > 0 ? ` (${formatCount(newSincePause)} new)` : ""}
      </button>`}
    </div>
    <div class="log-status">
      <span class=${`live live-${stream.state === "open" ? "ok" : stream.state === "error" ? "error" : "warn"}`}>
        <span class="live-dot" aria-hidden="true"></span>${STATE_LABELS[stream.state] ?? stream.state}</span>
      <span class="muted">· ${formatCount(buffer.lineCount)} lines${buffer.dropped ? ` (${formatCount(buffer.dropped)} oldest dropped)` : ""}</span>
      ${shownCount !== buffer.entries.length && html`<span class="muted">· ${formatCount(shownCount)} shown</span>`}
    </div>
  </div>`;
}
