/**
 * A small line diff (longest common subsequence) producing unified diff text, for comparing two
 * short YAML documents in the browser (e.g. two pod templates). Inputs of a few thousand lines at
 * most; larger inputs fall back to "everything changed".
 */

const MAX_CELLS = 4_000_000;

/**
 * @param {string} oldText
 * @param {string} newText
 * @param {{context?: number, oldLabel?: string, newLabel?: string}} [options]
 * @returns {string} unified diff ("" when equal)
 */
export function unifiedDiff(oldText, newText, { context = 3, oldLabel = "a", newLabel = "b" } = {}) {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ops = diffLines(a, b);
  if (!ops.some((op) => op.type !== "ctx")) return "";
  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  let i = 0;
  while (i < ops.length) {
    if (ops[i].type === "ctx") {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is within 2×context of the previous one.
    const start = Math.max(0, i - context);
    let end = i;
    while (end < ops.length) {
      if (ops[end].type !== "ctx") {
        end++;
        continue;
      }
      let run = 0;
      while (end + run < ops.length && ops[end + run].type === "ctx") run++;
      if (end + run >= ops.length || run > context * 2) {
        end = Math.min(ops.length, end + context);
        break;
      }
      end += run;
    }
    const hunk = ops.slice(start, end);
    const oldStart = hunk[0].a + 1;
    const newStart = hunk[0].b + 1;
    const oldCount = hunk.filter((op) => op.type !== "add").length;
    const newCount = hunk.filter((op) => op.type !== "del").length;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const op of hunk) out.push(`${op.type === "add" ? "+" : op.type === "del" ? "-" : " "}${op.text}`);
    i = end;
  }
  return `${out.join("\n")}\n`;
}

function splitLines(text) {
  const lines = String(text ?? "").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * Edit script between two line arrays.
 * @returns {Array<{type: "ctx"|"add"|"del", text: string, a: number, b: number}>} a/b = positions before the op
 */
export function diffLines(a, b) {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_CELLS) {
    return [...a.map((text, i) => ({ type: "del", text, a: i, b: 0 })), ...b.map((text, j) => ({ type: "add", text, a: n, b: j }))];
  }
  // lcs[i][j] = LCS length of a[i:] and b[j:], stored row-major in one typed array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1] + 1
        : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  /** @type {ReturnType<typeof diffLines>} */
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ type: "ctx", text: a[i], a: i, b: j });
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])) {
      ops.push({ type: "del", text: a[i], a: i, b: j });
      i++;
    } else {
      ops.push({ type: "add", text: b[j], a: i, b: j });
      j++;
    }
  }
  return ops;
}
