/**
 * CPU, memory, network (receive and transmit per second) and restarts of one object over time, drawn with uPlot
 * (loaded on first use, like xterm.js): a range picker,
 * the object's requests and limits as horizontal lines, values under the cursor in the legend, colours from the
 * theme's CSS variables (read again when the theme changes), and a refresh every sampler interval. When the cluster has no working metrics source the
 * server's `reason` is shown instead of an empty chart. The server says how far back each series goes
 * (`maxRangeSeconds`): the range picker offers no more than the longest, and a series not kept for the range picked
 * says so (with its current value) instead of an empty plot.
 *
 * CSP (`style-src 'self'`): uPlot sets element styles only through the CSSOM (`element.style.x = …`), which the
 * policy allows; its stylesheet is linked from static/vendor. No shim is needed (unlike xterm.js).
 */
import { html, cx, useEffect, useRef, useState } from "../lib/ui.js";
import { metricsSeries } from "../api/metrics.js";
import { formatBytes, formatCores, formatCount, humanDuration } from "../lib/format.js";
import { useStore } from "../lib/store.js";
import { theme } from "../state/theme.js";
import { EmptyState } from "./EmptyState.js";
import { Spinner } from "./Spinner.js";

/** The ranges offered, shortest first (the server accepts 15m to 7d). */
export const METRICS_RANGES = Object.freeze([
  { id: "15m", label: "15 min", seconds: 15 * 60 },
  { id: "1h", label: "1 hour", seconds: 60 * 60 },
  { id: "6h", label: "6 hours", seconds: 6 * 60 * 60 },
  { id: "24h", label: "24 hours", seconds: 24 * 60 * 60 },
  { id: "7d", label: "7 days", seconds: 7 * 24 * 60 * 60 },
]);
const DEFAULT_RANGE = "1h";
/** Height of one plot in CSS pixels (uPlot needs a number; the width follows the box). */
const PLOT_HEIGHT_PX = 200;
/** Refresh period until the server has said its sampler interval. */
const DEFAULT_REFRESH_S = 15;
/** Headroom above the highest value on the y axis. */
const Y_HEADROOM = 1.15;

let loading = null;

/** uPlot's constructor; its stylesheet is linked once. */
function loadUplot() {
  if (!loading) {
    const href = import.meta.resolve("uplot/dist/uPlot.min.css");
    if (!document.querySelector(`link[href="${href}"]`)) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.append(link);
    }
    loading = import("uplot").then((module) => module.default);
  }
  return loading;
}

/**
 * The chart colours, resolved from CSS variables (light-dark() included) through hidden swatches in `host`.
 * @param {HTMLElement} host
 * @returns {Record<string, string>}
 */
function chartColours(host) {
  /** @type {Record<string, string>} */
  const colours = {};
  for (const swatch of host.querySelectorAll("[data-colour]")) {
    colours[/** @type {HTMLElement} */ (swatch).dataset.colour] = getComputedStyle(swatch).color;
  }
  return colours;
}

/** @param {number|null} perSecond */
const formatRate = (perSecond) => (perSecond === null || perSecond === undefined ? "—" : `${formatBytes(perSecond)}/s`);
/** @param {number|null} count */
const formatRestarts = (count) => (count === null || count === undefined ? "—" : formatCount(count));
/** Steps of a count axis (whole numbers only). */
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/**
 * @param {{clusterId: string|number, resource: string, name: string, namespace?: string}} props
 */
export function MetricsChart({ clusterId, resource, name, namespace }) {
  const [range, setRange] = useState(DEFAULT_RANGE);
  const [state, setState] = useState({ series: null, error: null });
  // The longest range any of the object's series covers, as the server said (kept while another range loads).
  const [maxRangeSeconds, setMaxRangeSeconds] = useState(Infinity);
  const ranges = METRICS_RANGES.filter((r) => r.seconds <= maxRangeSeconds);

  useEffect(() => {
    const controller = new AbortController();
    let timer = null;
    setState({ series: null, error: null });
    const load = async () => {
      let refreshS = DEFAULT_REFRESH_S;
      try {
        const series = await metricsSeries(clusterId, { resource, name, namespace, range, signal: controller.signal });
        refreshS = series.intervalSeconds || DEFAULT_REFRESH_S;
        setState({ series, error: null });
        setMaxRangeSeconds(Math.max(...Object.values(series.maxRangeSeconds)));
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((prev) => ({ series: prev.series, error }));
      }
      if (!controller.signal.aborted) timer = setTimeout(load, refreshS * 1000);
    };
    load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [clusterId, resource, name, namespace, range]);

  const { series, error } = state;
  let body;
  if (error && !series) {
    body = html`<${EmptyState} icon="alert" tone="error" title="Could not load metrics">${error.message}</${EmptyState}>`;
  } else if (!series) {
    body = html`<div class="metrics-loading"><${Spinner} size="sm" inline /> Loading metrics…</div>`;
  } else if (!series.available) {
    body = html`<${EmptyState} icon="info" title="Metrics are not available for this cluster">${series.reason}</${EmptyState}>`;
  } else {
    const { points, requests, limits, rangeSeconds, maxRangeSeconds: kept, network } = series;
    const now = `Now: receive ${formatRate(network.rxBytesPerSecond)}, transmit ${formatRate(network.txBytesPerSecond)}.`;
    body = html`<div class="metrics-plots">
      <${MetricPlot} title="CPU" format=${formatCores} times=${points.t} values=${points.cpu}
        request=${requests.cpu} limit=${limits.cpu} rangeSeconds=${rangeSeconds} />
      <${MetricPlot} title="Memory" format=${formatBytes} times=${points.t} values=${points.memory}
        request=${requests.memory} limit=${limits.memory} rangeSeconds=${rangeSeconds} />
      ${points.rxBytesPerSecond ? html`<${MetricPlot} title="Network" label="Receive" format=${formatRate} times=${points.t}
          values=${points.rxBytesPerSecond} rangeSeconds=${rangeSeconds}
          extra=${[{ label: "Transmit", colour: "transmit", values: points.txBytesPerSecond }]} />`
        : html`<${NotKept} title="Network" kept=${kept.network} resource=${resource} note=${now} />`}
      ${points.restarts ? html`<${MetricPlot} title="Restarts" format=${formatRestarts} times=${points.t}
          values=${points.restarts} rangeSeconds=${rangeSeconds} steps=${COUNT_STEPS} />`
        : html`<${NotKept} title="Restarts" kept=${kept.restarts} resource=${resource}
            note=${`Now: ${formatRestarts(series.restarts)}.`} />`}
    </div>`;
  }

  return html`<div class="metrics-chart">
    <div class="metrics-toolbar">
      <div class="segmented" role="radiogroup" aria-label="Time range">
        ${ranges.map((r) => html`<button type="button" key=${r.id} role="radio" aria-checked=${range === r.id ? "true" : "false"}
            class=${cx("segment", range === r.id && "is-active")} onClick=${() => setRange(r.id)}>${r.label}</button>`)}
      </div>
      ${series?.source && html`<span class="muted metrics-source">Source: ${series.source === "summary" ? "kubelet Summary API" : series.source}</span>`}
    </div>
    ${body}
  </div>`;
}

/**
 * In place of a plot: the series is not kept for the range picked (or at all, e.g. a pod's network), and its
 * current value.
 * @param {{title: string, kept: number, resource: string, note: string}} props
 */
function NotKept({ title, kept, resource, note }) {
  const span = METRICS_RANGES.find((r) => r.seconds === kept)?.label ?? humanDuration(kept);
  const why = kept > 0 ? `${title}: kept for the last ${span} only; pick a range up to that.`
    : `${title}: not kept over time for ${resource}, only the current value (its workload's and node's are kept).`;
  return html`<section class="card metrics-plot metrics-not-kept" aria-label=${`${title} over time`}>
    <h3 class="metrics-plot-title">${title}</h3>
    <p class="muted">${why} ${note}</p>
  </section>`;
}

/**
 * One uPlot chart: usage over time (and `extra` series, e.g. transmit beside receive), and the request and limit
 * (when set) as horizontal lines.
 * @param {{title: string, label?: string, format: (value: number|null) => string, times: number[],
 *          values: (number|null)[], request?: number|null, limit?: number|null, rangeSeconds: number,
 *          extra?: {label: string, colour: string, values: (number|null)[]}[], steps?: number[]}} props
 *   `steps`: the y axis' tick increments (uPlot's default when absent).
 */
function MetricPlot({ title, label = title, format, times, values, request = null, limit = null, rangeSeconds,
  extra = [], steps = undefined }) {
  const hostRef = useRef(null);
  const plotRef = useRef(null);
  const rangeRef = useRef(rangeSeconds);
  rangeRef.current = rangeSeconds;
  const [failed, setFailed] = useState(null);
  const currentTheme = useStore(theme); // the plot is made again with the new theme's colours
  const lines = [["Request", "request", request], ["Limit", "limit", limit]].filter(([, , value]) => value !== null);
  const shape = [...extra.map((series) => series.label), ...lines.map(([name]) => name)].join(",");
  const data = [times, values, ...extra.map((series) => series.values), ...lines.map(([, , value]) => times.map(() => value))];
  const dataRef = useRef(data);
  dataRef.current = data;

  useEffect(() => {
    let disposed = false;
    let observer = null;
    loadUplot().then((UPlot) => {
      const host = hostRef.current;
      if (disposed || !host) return;
      const colours = chartColours(host);
      const axis = { stroke: colours.axis, grid: { stroke: colours.grid }, ticks: { stroke: colours.grid } };
      const options = {
        width: host.clientWidth || 600,
        height: PLOT_HEIGHT_PX,
        scales: {
          x: { time: true, range: () => {
            const now = Date.now() / 1000;
            return [now - rangeRef.current, now];
          } },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * Y_HEADROOM : 1] },
        },
        axes: [axis, { ...axis, size: 70, values: (_u, splits) => splits.map(format), ...(steps && { incrs: steps }) }],
        series: [
          {},
          { label, stroke: colours.usage, fill: colours.fill, width: 2, spanGaps: false,
            value: (_u, v) => format(v) },
          ...extra.map((series) => ({ label: series.label, stroke: colours[series.colour], width: 2, spanGaps: false,
            value: (_u, v) => format(v) })),
          ...lines.map(([name, colour]) => ({ label: name, stroke: colours[colour], width: 1.5, dash: [6, 4],
            points: { show: false }, value: (_u, v) => format(v) })),
        ],
      };
      plotRef.current = new UPlot(options, dataRef.current, host.querySelector(".metrics-plot-canvas"));
      observer = new ResizeObserver(() => {
        if (host.clientWidth) plotRef.current?.setSize({ width: host.clientWidth, height: PLOT_HEIGHT_PX });
      });
      observer.observe(host);
    }, (error) => !disposed && setFailed(error));
    return () => {
      disposed = true;
      observer?.disconnect();
      plotRef.current?.destroy();
      plotRef.current = null;
    };
  }, [shape, currentTheme]);

  useEffect(() => {
    plotRef.current?.setData(data);
  }, [times, values, request, limit, ...extra.map((series) => series.values)]);

  return html`<section class="card metrics-plot" ref=${hostRef} aria-label=${`${title} over time`}>
    <h3 class="metrics-plot-title">${title}</h3>
    <span class="metrics-swatches" aria-hidden="true">
      ${["usage", "fill", "transmit", "request", "limit", "axis", "grid"].map((c) => html`<span key=${c} data-colour=${c} class=${`metrics-swatch-${c}`}></span>`)}
    </span>
    ${failed ? html`<p class="text-error">The chart could not load: ${failed.message}</p>`
      : times.length === 0 && html`<p class="muted">No samples yet: the first arrive within one sampler interval.</p>`}
    <div class="metrics-plot-canvas"></div>
  </section>`;
}
