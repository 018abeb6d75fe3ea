/**
 * Small inline-SVG charts built in JS (no chart library): a donut for parts of a whole and a
 * horizontal capacity bar with markers. Colours come from CSS classes, never inline styles.
 */
import { html, cx } from "../lib/ui.js";

const RADIUS = 40;
const CIRCUMFERENCE = 2 * Math.PI * RADIUS;

/**
 * A donut chart with a legend.
 * @param {{parts: Array<{key: string, label: string, value: number, tone: string}>, centre: any, caption: string}} props
 *   `tone` picks the colour class `chart-<tone>`.
 */
export function Donut({ parts, centre, caption }) {
  const total = parts.reduce((sum, p) => sum + p.value, 0);
  let offset = 0;
  const arcs = total === 0 ? [] : parts.filter((p) => p.value > 0).map((part) => {
    const length = (part.value / total) * CIRCUMFERENCE;
    const arc = html`<circle key=${part.key} class=${cx("donut-arc", `chart-${part.tone}`)} r=${RADIUS} cx="50" cy="50"
      stroke-dasharray=${`${length} ${CIRCUMFERENCE - length}`} stroke-dashoffset=${-offset}>
      <title>${part.label}: ${part.value}</title></circle>`;
    offset += length;
    return arc;
  });
  return html`<figure class="donut">
    <svg viewBox="0 0 100 100" class="donut-svg" role="img" aria-label=${`${caption}: ${parts.map((p) => `${p.label} ${p.value}`).join(", ")}`}>
      <circle class="donut-track" r=${RADIUS} cx="50" cy="50" />
      <g transform="rotate(-90 50 50)">${arcs}</g>
      <text x="50" y="48" class="donut-value" text-anchor="middle">${centre}</text>
      <text x="50" y="62" class="donut-caption" text-anchor="middle">${caption}</text>
    </svg>
    <figcaption><ul class="legend">
      ${parts.map((p) => html`<li key=${p.key}><span class=${cx("legend-swatch", `chart-bg-${p.tone}`)}></span>${p.label}
        <span class="legend-value">${p.value}</span></li>`)}
    </ul></figcaption>
  </figure>`;
}

/**
 * A capacity bar: `value` filled against `max`, with an optional second marker (e.g. limits).
 * @param {{label: string, value: number|null, max: number|null, format: (n: number) => string, marker?: number|null,
 *          markerLabel?: string}} props
 */
export function CapacityBar({ label, value, max, format, marker = null, markerLabel = "" }) {
  const known = typeof value === "number" && typeof max === "number" && max > 0;
  const pct = known ? Math.min(100, (value / max) * 100) : 0;
  const tone = pct >= 90 ? "error" : pct >= 75 ? "warn" : "ok";
  return html`<div class="capacity">
    <div class="capacity-head">
      <span class="capacity-label">${label}</span>
      <span class="capacity-figure">${typeof value === "number" ? format(value) : "—"}${typeof max === "number" ? html` <span class="muted">/ ${format(max)}</span>` : ""}
        ${known && html`<span class=${cx("capacity-pct", `text-${tone}`)}>${Math.round((value / max) * 100)}%</span>`}</span>
    </div>
    <svg class="capacity-bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img"
        aria-label=${`${label}: ${known ? `${Math.round((value / max) * 100)}%` : "unknown"}`}>
      <rect class="capacity-track" x="0" y="0" width="100" height="6" rx="3" />
      ${known && html`<rect class=${cx("capacity-fill", `chart-fill-${tone}`)} x="0" y="0" width=${pct} height="6" rx="3" />`}
      ${known && typeof marker === "number" && html`<rect class="capacity-marker" x=${Math.min(99.4, (marker / max) * 100)} y="0" width="0.6" height="6">
        <title>${markerLabel}</title></rect>`}
    </svg>
  </div>`;
}
