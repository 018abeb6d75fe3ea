/**
 * How the browser orders table rows by a column of the server's `view=table` answer: one key function per column
 * type, the same keys as the server's `sort` (kubevision/kube/tables.py `_SORT_KEYS` and `row_order`), so a list
 * sorted here and a page sorted by the server agree row for row. A key is an array compared element by element:
 * the cell's key, then the name, then the namespace (the server's tie-breakers). Empty or malformed cells sort
 * first, as on the server. Strings compare by UTF-16 code unit (Python compares code points: the two differ only
 * between characters above U+FFFF and U+E000–U+FFFF).
 */

const QUANTITY_RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|([numkMGTPE]?))$/;
const BINARY_EXPONENTS = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_EXPONENTS = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const TIMESTAMP_RE = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;
const RATIO_RE = /^([+-]?\d+)\/([+-]?\d+)$/;

/**
 * A Kubernetes quantity (`100m`, `1.5Gi`, `2k`, `1e3`) as a number, or 0 when malformed (the server's
 * `quantity_or_zero`). The decimal forms are parsed from their decimal text, so equal quantities are equal numbers.
 * @param {unknown} value
 * @returns {number}
 */
export function parseQuantity(value) {
  if (typeof value === "number") return value;
  const match = QUANTITY_RE.exec(String(value).trim());
  if (!match) return 0;
  const [, number, binary, exponent, suffix] = match;
  if (binary) return Number(number) * 2 ** BINARY_EXPONENTS[binary];
  return Number(`${number}e${exponent ?? DECIMAL_EXPONENTS[suffix ?? ""]}`);
}

/**
 * Seconds since the epoch of an RFC 3339 timestamp (microseconds kept, as the server's float), or null.
 * @param {unknown} value
 * @returns {number|null}
 */
export function epochSeconds(value) {
  if (!value) return null;
  const text = String(value);
  const match = TIMESTAMP_RE.exec(text);
  const whole = Date.parse(match ? `${match[1]}${match[3]}` : text);
  if (Number.isNaN(whole)) return null;
  const micros = match?.[2] ? Number(match[2].slice(0, 6).padEnd(6, "0")) : 0;
  return (whole * 1000 + micros) / 1e6;
}

/**
 * Seconds a `duration` cell (`[start, end|null]`) lasts, up to `now` (epoch ms) while it runs; -1 without a start.
 * @param {unknown} cell
 * @param {number} now
 */
export function durationSeconds(cell, now) {
  const [start, end] = Array.isArray(cell) ? cell : [];
  const begin = epochSeconds(start);
  if (begin === null) return -1;
  return (epochSeconds(end) || now / 1000) - begin;
}

const text = (cell) => [String(cell ?? "").toLowerCase()];

/** @type {Record<string, (cell: any, now: number) => Array<number|string>>} */
const CELL_KEYS = {
  number: (cell) => [typeof cell === "number" ? cell : typeof cell === "boolean" ? Number(cell) : -1],
  boolean: (cell) => [cell === null || cell === undefined ? -1 : Number(cell)],
  quantity: (cell) => [cell === null || cell === undefined || cell === "" ? -1 : parseQuantity(cell)],
  ratio: (cell) => {
    const match = RATIO_RE.exec(String(cell ?? "").split(" ")[0]);
    if (!match) return [-1, -1];
    const [done, of] = [Number(match[1]), Number(match[2])];
    return [of ? done / of : 0, done];
  },
  // Ages: a later timestamp is a smaller age, so ascending age is descending time.
  age: (cell) => [-(epochSeconds(cell) || Infinity)],
  duration: (cell, now) => [durationSeconds(cell, now)],
  text,
  status: text,
};

/**
 * The sort key of a row for a server column: `name` and `namespace` order by the row's name and namespace,
 * other columns by their cell (`index` in `row.cells`) with their type's key, then name, then namespace.
 * @param {{id: string, type?: string}} column
 * @param {number} index the column's position in the server's columns (and so in `row.cells`)
 * @returns {(row: any, now: number) => Array<number|string>} `now` (epoch ms): one instant for a whole sort
 */
export function columnSortKey(column, index) {
  if (column.id === "name") return (row) => [row.name ?? "", row.namespace ?? ""];
  if (column.id === "namespace") return (row) => [row.namespace ?? "", row.name ?? ""];
  const cellKey = CELL_KEYS[column.type ?? "text"] ?? text;
  return (row, now) => [...cellKey(row.cells?.[index] ?? null, now), row.name ?? "", row.namespace ?? ""];
}

/**
 * Compare two keys of `columnSortKey`, element by element.
 * @param {Array<number|string>} a
 * @param {Array<number|string>} b
 * @returns {number}
 */
export function compareSortKeys(a, b) {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}
