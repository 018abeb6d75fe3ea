/** A unified diff with coloured added/removed lines, hunk headers and old/new line numbers. */
import { html, cx, useMemo } from "../lib/ui.js";

const HUNK_RE = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/**
 * Split unified diff text into typed rows.
 * @param {string} diff
 * @returns {Array<{type: "add"|"del"|"ctx"|"hunk"|"file", text: string, oldLine?: number, newLine?: number}>}
 */
export function parseUnifiedDiff(diff) {
  /** @type {ReturnType<typeof parseUnifiedDiff>} */
  const rows = [];
  let oldLine = 0;
  let newLine = 0;
  for (const line of String(diff ?? "").split("\n")) {
    if (line.startsWith("---") || line.startsWith("+++")) {
      rows.push({ type: "file", text: line });
      continue;
    }
    const hunk = HUNK_RE.exec(line);
    if (hunk) {
      [oldLine, newLine] = [Number(hunk[1]), Number(hunk[2])];
      rows.push({ type: "hunk", text: line });
    } else if (line.startsWith("+")) rows.push({ type: "add", text: line.slice(1), newLine: newLine++ });
    else if (line.startsWith("-")) rows.push({ type: "del", text: line.slice(1), oldLine: oldLine++ });
    else if (line.startsWith("\\")) rows.push({ type: "hunk", text: line });
    else if (line !== "" || rows.length) rows.push({ type: "ctx", text: line.slice(1), oldLine: oldLine++, newLine: newLine++ });
  }
  while (rows.length && rows[rows.length - 1].type === "ctx" && rows[rows.length - 1].text === "") rows.pop();
  return rows;
}

/**
 * @param {{diff: string}} props
 */
export function DiffView({ diff }) {
  const rows = useMemo(() => parseUnifiedDiff(diff).filter((r) => r.type !== "file"), [diff]);
  const added = rows.filter((r) => r.type === "add").length;
  const removed = rows.filter((r) => r.type === "del").length;
  if (!rows.length) return html`<div class="diff-empty">No changes: the object would stay as it is.</div>`;
  return html`<div class="diff" role="region" aria-label="Changes">
    <div class="diff-stats"><span class="diff-stat-add">+${added}</span> <span class="diff-stat-del">−${removed}</span>
      <span class="muted">line${added + removed === 1 ? "" : "s"} changed</span></div>
    <div class="diff-scroll"><table class="diff-table"><tbody>
      ${rows.map((row, i) => html`<tr key=${i} class=${cx("diff-row", `diff-${row.type}`)}>
        <td class="diff-num">${row.oldLine ?? ""}</td>
        <td class="diff-num">${row.newLine ?? ""}</td>
        <td class="diff-sign">${row.type === "add" ? "+" : row.type === "del" ? "−" : ""}</td>
        <td class="diff-text">${row.text}</td>
      </tr>`)}
    </tbody></table></div>
  </div>`;
}
