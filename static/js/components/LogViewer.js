/**
 * A virtualized log view: only the lines in (and just around) the viewport are in the DOM, so
 * 100,000+ lines scroll smoothly. Lines are monospace, so wrapped heights are computed from the
 * character count instead of being measured. While `stick` is on the view follows new lines; when
 * the user scrolls up it calls `onStickChange(false)` (and `true` again at the bottom).
 */
import { html, cx, useEffect, useLayoutEffect, useMemo, useRef, useState } from "../lib/ui.js";
import { colourSlot, splitMatches } from "../lib/logBuffer.js";

const LINE_H = 20;
const OVERSCAN = 30;
const TS_RE = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)) /;

/**
 * @param {{buffer: import("../lib/logBuffer.js").LogBuffer, version: number, regex: RegExp|null, wrap: boolean,
 *          aggregated: boolean, stick: boolean, onStickChange: (stick: boolean) => void, empty?: any}} props
 */
export function LogViewer({ buffer, version, regex, wrap, aggregated, stick, onStickChange, empty }) {
  const scrollRef = useRef(null);
  const measureRef = useRef(null);
  const [view, setView] = useState({ top: 0, height: 600, width: 800, charW: 7.2 });
  const count = buffer.visibleCount;

  // Viewport size and character width (monospace) for wrapped heights.
  useEffect(() => {
    const el = scrollRef.current;
    const update = () => {
      const charW = measureRef.current ? measureRef.current.getBoundingClientRect().width / 100 : 7.2;
      setView((v) => ({ ...v, height: el.clientHeight, width: el.clientWidth, charW: charW || 7.2 }));
    };
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const perRow = Math.max(20, Math.floor((view.width - 24) / view.charW));
  // Prefix sums of line heights (only needed when wrapping; otherwise offset = index × LINE_H).
  const offsets = useMemo(() => {
    if (!wrap) return null;
    const out = new Float64Array(count + 1);
    for (let n = 0; n < count; n++) {
      const e = buffer.visibleAt(n);
      const length = e.text.length + (aggregated && e.pod ? shortPod(e.pod).length + e.container.length + 3 : 0);
      out[n + 1] = out[n] + Math.max(1, Math.ceil(length / perRow)) * LINE_H;
    }
    return out;
  }, [buffer, version, wrap, perRow, count, aggregated]);

  const offsetOf = (n) => (offsets ? offsets[n] : n * LINE_H);
  const total = offsetOf(count);
  const indexAt = (y) => {
    if (!offsets) return Math.max(0, Math.min(count - 1, Math.floor(y / LINE_H)));
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return Math.min(lo, Math.max(0, count - 1));
  };

  const first = Math.max(0, indexAt(view.top) - OVERSCAN);
  const last = Math.min(count, indexAt(view.top + view.height) + OVERSCAN + 1);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (stick && el) {
      el.scrollTop = el.scrollHeight;
      if (el.scrollTop !== view.top) setView((v) => ({ ...v, top: el.scrollTop }));
    }
  }, [version, stick, wrap, total]);

  const onScroll = (event) => {
    const el = event.currentTarget;
    setView((v) => (v.top === el.scrollTop ? v : { ...v, top: el.scrollTop }));
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_H / 2;
    if (atBottom !== stick) onStickChange(atBottom);
  };

  const rows = [];
  for (let n = first; n < last; n++) rows.push(renderLine(buffer.visibleAt(n), regex, aggregated));
  return html`<div class=${cx("log-view", wrap ? "is-wrapped" : "is-nowrap")} ref=${scrollRef} onScroll=${onScroll}
      tabindex="0" role="region" aria-label="Log lines">
    <span class="log-measure" ref=${measureRef} aria-hidden="true">${"0".repeat(100)}</span>
    ${count === 0 && empty ? html`<div class="log-empty">${empty}</div>`
      : html`<div class="log-rows" style=${{ paddingTop: `${offsetOf(first)}px`, paddingBottom: `${total - offsetOf(last)}px` }}>${rows}</div>`}
  </div>`;
}

function renderLine(entry, regex, aggregated) {
  if (entry.meta) return html`<div class="log-line log-meta" key=${entry.seq}>${entry.text}</div>`;
  let text = entry.text;
  let stamp = null;
  const ts = TS_RE.exec(text);
  if (ts) {
    stamp = ts[1];
    text = text.slice(ts[0].length);
  }
  const tag = aggregated && entry.pod ? `${entry.pod}/${entry.container}` : null;
  return html`<div class="log-line" key=${entry.seq}>
    ${tag && html`<span class=${`log-tag log-tag-c${colourSlot(entry.pod)}`} title=${tag}>${shortPod(entry.pod)}/${entry.container}</span>`}
    ${stamp && html`<span class="log-ts">${stamp}</span>`}
    ${regex ? splitMatches(text, regex).map((p, i) => (p.match ? html`<mark key=${i}>${p.text}</mark>` : p.text)) : text}
  </div>`;
}

/** Pods of a workload share a long prefix; keep the distinguishing tail visible. */
function shortPod(pod) {
  return pod.length > 28 ? `…${pod.slice(-24)}` : pod;
}
