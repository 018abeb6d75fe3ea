/**
 * An SVG graph of laid-out nodes and edges with pan (drag the background) and zoom (wheel, or the
 * buttons), fitted to the box on first show. Nodes are focusable; click or Enter calls `onOpen`.
 * Positions come from lib/topologyLayout.js; this component only draws and handles the pointer.
 */
import { html, cx, useEffect, useLayoutEffect, useRef, useState } from "../lib/ui.js";
import { statusTone } from "../lib/format.js";
import { NODE_H, NODE_W } from "../lib/topologyLayout.js";
import { Icon } from "./Icon.js";

const MIN_SCALE = 0.15;
const MAX_SCALE = 2.5;
const KIND_BADGES = {
  Ingress: "ING", Service: "SVC", Deployment: "DEP", StatefulSet: "STS", DaemonSet: "DS", CronJob: "CJ",
  ReplicaSet: "RS", Job: "JOB", Pod: "POD", PodGroup: "PODS", PersistentVolumeClaim: "PVC", ConfigMap: "CM",
  Secret: "SEC", PersistentVolume: "PV",
};

function truncate(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * @param {{nodes: object[], edges: object[], layout: {positions: Map<string, {x: number, y: number, column?: number}>, width: number, height: number},
 *          onOpen: (node: object) => void, label?: string}} props
 */
export function TopologyGraph({ nodes, edges, layout, onOpen, label = "Topology graph" }) {
  const boxRef = useRef(null);
  const [view, setView] = useState({ x: 20, y: 20, k: 1 });
  const dragRef = useRef(null);
  const [hover, setHover] = useState(null);

  const fit = () => {
    const box = boxRef.current;
    if (!box) return;
    const pad = 32;
    const k = Math.max(MIN_SCALE, Math.min(1.2, (box.clientWidth - pad * 2) / Math.max(1, layout.width),
      (box.clientHeight - pad * 2) / Math.max(1, layout.height)));
    setView({ k, x: (box.clientWidth - layout.width * k) / 2, y: Math.max(pad, (box.clientHeight - layout.height * k) / 2) });
  };
  useLayoutEffect(fit, [layout.width, layout.height]);

  const zoomAt = (factor, cx0, cy0) => setView((v) => {
    const k = Math.max(MIN_SCALE, Math.min(MAX_SCALE, v.k * factor));
    const ratio = k / v.k;
    return { k, x: cx0 - (cx0 - v.x) * ratio, y: cy0 - (cy0 - v.y) * ratio };
  });
  useEffect(() => {
    const box = boxRef.current;
    const onWheel = (event) => {
      event.preventDefault();
      const rect = box.getBoundingClientRect();
      zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    };
    box.addEventListener("wheel", onWheel, { passive: false });
    return () => box.removeEventListener("wheel", onWheel);
  }, []);

  const onPointerDown = (event) => {
    if (event.button !== 0 || event.target.closest(".topo-node")) return;
    dragRef.current = { id: event.pointerId, sx: event.clientX, sy: event.clientY, vx: view.x, vy: view.y };
    event.currentTarget.setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event) => {
    const drag = dragRef.current;
    if (!drag || drag.id !== event.pointerId) return;
    setView((v) => ({ ...v, x: drag.vx + event.clientX - drag.sx, y: drag.vy + event.clientY - drag.sy }));
  };
  const onPointerUp = () => {
    dragRef.current = null;
  };
  const centreZoom = (factor) => {
    const box = boxRef.current;
    zoomAt(factor, box.clientWidth / 2, box.clientHeight / 2);
  };

  const related = hover ? new Set(edges.filter((e) => e.source === hover || e.target === hover).flatMap((e) => [e.source, e.target])) : null;
  return html`<div class="topo-box" ref=${boxRef}>
    <svg class=${cx("topo-svg", dragRef.current && "is-dragging")} role="group" aria-label=${label}
        onPointerDown=${onPointerDown} onPointerMove=${onPointerMove} onPointerUp=${onPointerUp} onPointerCancel=${onPointerUp}>
      <defs>
        <marker id="topo-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0 0L10 5L0 10z" class="topo-arrow" />
        </marker>
      </defs>
      <g transform=${`translate(${view.x} ${view.y}) scale(${view.k})`}>
        ${edges.map((e) => {
          const a = layout.positions.get(e.source);
          const b = layout.positions.get(e.target);
          if (!a || !b) return null;
          const x1 = a.x + NODE_W;
          const y1 = a.y + NODE_H / 2;
          const x2 = b.x;
          const y2 = b.y + NODE_H / 2;
          const mid = (x1 + x2) / 2;
          // Edges that skip a column arc over the nodes in between instead of running behind them.
          const skip = (b.column ?? 0) - (a.column ?? 0) > 1;
          const lift = Math.min(y1, y2) - NODE_H * 0.9;
          const d = skip ? `M${x1} ${y1}C${x1 + 70} ${lift} ${x2 - 70} ${lift} ${x2 - 2} ${y2}` : `M${x1} ${y1}C${mid} ${y1} ${mid} ${y2} ${x2 - 2} ${y2}`;
          const lit = related && related.has(e.source) && related.has(e.target) && (e.source === hover || e.target === hover);
          return html`<path key=${`${e.source}|${e.target}|${e.type}`} class=${cx("topo-edge", `topo-edge-${e.type}`, lit && "is-lit", related && !lit && "is-dim")}
            d=${d} marker-end="url(#topo-arrow)"><title>${e.type}</title></path>`;
        })}
        ${nodes.map((node) => {
          const p = layout.positions.get(node.id);
          if (!p) return null;
          const tone = node.status === "Missing" ? "error" : node.status === "Mixed" ? "warn" : statusTone(node.status);
          const open = () => onOpen(node);
          return html`<g key=${node.id} class=${cx("topo-node", `topo-tone-${tone || "none"}`, related && !related.has(node.id) && "is-dim",
              node.status === "Missing" && "is-missing")}
              transform=${`translate(${p.x} ${p.y})`} tabindex="0" role="link" aria-label=${`${node.kind} ${node.name}${node.status ? `, ${node.status}` : ""}`}
              data-id=${node.id} onClick=${open} onKeyDown=${(e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } }}
              onPointerEnter=${() => setHover(node.id)} onPointerLeave=${() => setHover(null)}>
            <rect class="topo-card" width=${NODE_W} height=${NODE_H} rx="8" />
            <rect class="topo-stripe" width="4" height=${NODE_H - 16} x="0" y="8" rx="2" />
            <text x="14" y="19" class="topo-kind">${KIND_BADGES[node.kind] ?? node.kind.slice(0, 4).toUpperCase()}<tspan class="topo-kind-full" dx="6">${node.kind === "PodGroup" ? "Pod group" : node.kind}</tspan></text>
            <text x="14" y="36" class="topo-name">${truncate(node.name, 26)}</text>
            ${node.status && html`<text x=${NODE_W - 10} y="19" class="topo-status" text-anchor="end">${truncate(node.status, 14)}</text>`}
            <title>${node.kind} ${node.name}${node.status ? ` (${node.status})` : ""}${node.statusCounts ? `\n${Object.entries(node.statusCounts).map(([s, n]) => `${s}: ${n}`).join(", ")}` : ""}</title>
          </g>`;
        })}
      </g>
    </svg>
    <div class="topo-controls" role="toolbar" aria-label="Zoom">
      <button type="button" class="icon-button" onClick=${() => centreZoom(1.25)} aria-label="Zoom in" title="Zoom in"><${Icon} name="plus" size=${16} /></button>
      <button type="button" class="icon-button" onClick=${() => centreZoom(0.8)} aria-label="Zoom out" title="Zoom out"><span class="topo-minus">−</span></button>
      <button type="button" class="icon-button" onClick=${fit} aria-label="Fit to screen" title="Fit to screen"><${Icon} name="scale" size=${15} /></button>
    </div>
  </div>`;
}
