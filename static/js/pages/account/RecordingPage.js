/**
 * Playback of a recorded terminal session: the .cast file replayed into a read-only xterm with
 * play/pause, restart, speed and a seek bar. Long idle pauses are shortened to 2 seconds.
 */
import { html, useEffect, useRef, useState } from "../../lib/ui.js";
import { limitIdle, parseCast, parseSize } from "../../lib/asciicast.js";
import { fetchRecording, getTerminalSession } from "../../api/admin.js";
import { Link, paths } from "../../router.js";
import { XTerm } from "../../components/XTerm.js";
import { Icon } from "../../components/Icon.js";
import { LoadingBlock } from "../../components/Spinner.js";
import { EmptyState } from "../../components/EmptyState.js";
import { usePromise } from "../usePromise.js";

const SPEEDS = [0.5, 1, 2, 4, 8];

function clock(seconds, precise = false) {
  const total = Math.max(0, seconds);
  const s = Math.floor(total);
  const tenths = precise ? `.${Math.floor((total - s) * 10)}` : "";
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}${tenths}`;
}

/** @param {{sessionId: string}} props */
export function RecordingPage({ sessionId }) {
  const loaded = usePromise(async (signal) => {
    const [session, text] = await Promise.all([getTerminalSession(sessionId, { signal }), fetchRecording(sessionId, { signal })]);
    const cast = parseCast(text);
    return { session, cast, events: limitIdle(cast.events) };
  }, [sessionId], { errorTitle: "Could not load the recording", initial: null });

  const data = loaded.data;
  return html`<div class="page page-recording">
    <nav class="breadcrumbs" aria-label="Breadcrumb">
      <${Link} href=${paths.terminalSessions()}>Terminal sessions</${Link}><span aria-hidden="true">/</span>
      <span aria-current="page" class="mono">${sessionId}</span>
    </nav>
    <div class="page-header">
      <div class="page-heading"><h1 class="page-title">Session recording</h1></div>
      ${data && html`<div class="page-subtitle"><span class="mono">${data.session.namespace}/${data.session.pod}/${data.session.container}</span>${" · "}${data.session.username} · ${(data.session.command ?? []).join(" ")} · ${new Date(data.session.startedAt).toLocaleString()}</div>`}
    </div>
    ${loaded.loading ? html`<${LoadingBlock} label="Loading the recording…" />`
      : !data ? html`<${EmptyState} icon="alert" tone="error" title="This recording cannot be played">${loaded.error?.message}</${EmptyState}>`
      : html`<${Player} cast=${data.cast} events=${data.events} />`}
  </div>`;
}

function Player({ cast, events }) {
  const termRef = useRef(null);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [position, setPosition] = useState(0); // seconds (idle-limited)
  const stateRef = useRef({ index: 0, time: 0 });
  const duration = events.length ? events[events.length - 1].time : 0;

  const apply = (event) => {
    const term = termRef.current?.term;
    if (!term) return;
    if (event.type === "o") term.write(event.data);
    else {
      const size = parseSize(event.data);
      if (size) term.resize(size.cols, size.rows);
    }
  };
  const seek = (target) => {
    const term = termRef.current?.term;
    if (!term) return;
    term.reset();
    term.resize(cast.header.width || 80, cast.header.height || 24);
    let i = 0;
    let chunk = "";
    for (; i < events.length && events[i].time <= target; i++) {
      if (events[i].type === "o") chunk += events[i].data;
      else {
        term.write(chunk);
        chunk = "";
        apply(events[i]);
      }
    }
    term.write(chunk);
    stateRef.current = { index: i, time: target };
    setPosition(target);
  };

  useEffect(() => {
    if (!playing) return undefined;
    let frame = 0;
    let last = performance.now();
    const tick = (now) => {
      const state = stateRef.current;
      state.time += ((now - last) / 1000) * speed;
      last = now;
      let chunk = "";
      while (state.index < events.length && events[state.index].time <= state.time) {
        const event = events[state.index++];
        if (event.type === "o") chunk += event.data;
        else {
          termRef.current?.term.write(chunk);
          chunk = "";
          apply(event);
        }
      }
      if (chunk) termRef.current?.term.write(chunk);
      setPosition(Math.min(state.time, duration));
      if (state.index >= events.length) {
        setPlaying(false);
        return;
      }
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [playing, speed]);

  const onReady = (api) => {
    termRef.current = api;
    api.term.resize(cast.header.width || 80, cast.header.height || 24);
    setPlaying(true);
  };
  const toggle = () => {
    if (!playing && stateRef.current.index >= events.length) seek(0);
    setPlaying(!playing);
  };

  return html`<div class="card card-flush player">
    <${XTerm} onReady=${onReady} readOnly fitToBox=${false} label="Recorded terminal" class="player-term" />
    <div class="player-controls">
      <button type="button" class="button button-primary" onClick=${toggle} aria-label=${playing ? "Pause" : "Play"}>
        <${Icon} name=${playing ? "pause" : "play"} size=${14} /> ${playing ? "Pause" : "Play"}</button>
      <button type="button" class="button" onClick=${() => { seek(0); setPlaying(true); }}><${Icon} name="restart" size=${14} /> Restart</button>
      <input type="range" class="player-seek" min="0" max=${duration || 0} step="0.1" value=${position} aria-label="Position"
        onInput=${(e) => { setPlaying(false); seek(Number(e.currentTarget.value)); }} />
      <span class="mono player-time">${clock(position, duration < 60)} / ${clock(duration, duration < 60)}</span>
      <label class="inline-field"><span class="field-label">Speed</span>
        <select value=${String(speed)} onChange=${(e) => setSpeed(Number(e.currentTarget.value))} aria-label="Playback speed">
          ${SPEEDS.map((s) => html`<option key=${s} value=${String(s)}>${s}×</option>`)}
        </select></label>
    </div>
  </div>`;
}
