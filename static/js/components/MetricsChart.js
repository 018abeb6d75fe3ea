/**
 * CPU and memory of one object over time, drawn with uPlot (loaded on first use, like xterm.js): a range picker,
 * the object's requests and limits as horizontal lines, values under the cursor in the legend, colours from the
 * theme's CSS variables (read again when the theme changes), and a refresh every sampler interval. When the cluster has no working metrics source the
 * server's `reason` is shown instead of an empty chart.
 *
 * CSP (`style-src 'self'`): uPlot sets element styles only through the CSSOM (`element.style.x = …`), which the
 * policy allows; its stylesheet is linked from static/vendor. No shim is needed (unlike xterm.js).
 */
import { html, cx, useEffect, useRef, useState } from "../lib/ui.js";
import { metricsSeries } from "../api/metrics.js";
import { formatBytes, formatCores } from "../lib/format.js";
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

/**
 * @param {{clusterId: string|number, resource: string, name: string, namespace?: string, maxRangeSeconds?: number}} props
 *   `maxRangeSeconds`: offer only ranges up to this (a pod's history covers 1 hour).
 */
export function MetricsChart({ clusterId, resource, name, namespace, maxRangeSeconds = Infinity }) {
  const ranges = METRICS_RANGES.filter((r) => r.seconds <= maxRangeSeconds);
  const [range, setRange] = useState(DEFAULT_RANGE);
  const [state, setState] = useState({ series: null, error: null });

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
    const { points, requests, limits, rangeSeconds } = series;
    body = html`<div class="metrics-plots">
      <${MetricPlot} title="CPU" format=${formatCores} times=${points.t} values=${points.cpu}
        request=${requests.cpu} limit=${limits.cpu} rangeSeconds=${rangeSeconds} />
      <${MetricPlot} title="Memory" format=${formatBytes} times=${points.t} values=${points.memory}
        request=${requests.memory} limit=${limits.memory} rangeSeconds=${rangeSeconds} />
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
 * One uPlot chart: usage over time, and the request and limit (when set) as horizontal lines.
 * @param {{title: string, format: (value: number|null) => string, times: number[], values: (number|null)[],
 *          request: number|null, limit: number|null, rangeSeconds: number}} props
 */
function MetricPlot({ title, format, times, values, request, limit, rangeSeconds }) {
  const hostRef = useRef(null);
  const plotRef = useRef(null);
  const rangeRef = useRef(rangeSeconds);
  rangeRef.current = rangeSeconds;
  const [failed, setFailed] = useState(null);
  const currentTheme = useStore(theme); // the plot is made again with the new theme's colours
  const lines = [["Request", "request", request], ["Limit", "limit", limit]].filter(([, , value]) => value !== null);
  const shape = lines.map(([label]) => label).join(",");
  const data = [times, values, ...lines.map(([, , value]) => times.map(() => value))];
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
        axes: [axis, { ...axis, size: 70, values: (_u, splits) => splits.map(format) }],
        series: [
          {},
          { label: title, stroke: colours.usage, fill: colours.fill, width: 2, spanGaps: false,
            value: (_u, v) => format(v) },
          ...lines.map(([label, colour]) => ({ label, stroke: colours[colour], width: 1.5, dash: [6, 4],
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
  }, [times, values, request, limit]);

  return html`<section class="card metrics-plot" ref=${hostRef} aria-label=${`${title} over time`}>
    <h3 class="metrics-plot-title">${title}</h3>
    <span class="metrics-swatches" aria-hidden="true">
      ${["usage", "fill", "request", "limit", "axis", "grid"].map((c) => html`<span key=${c} data-colour=${c} class=${`metrics-swatch-${c}`}></span>`)}
    </span>
    ${failed ? html`<p class="text-error">The chart could not load: ${failed.message}</p>`
      : times.length === 0 && html`<p class="muted">No samples yet: the first arrive within one sampler interval.</p>`}
    <div class="metrics-plot-canvas"></div>
  </section>`;
}
