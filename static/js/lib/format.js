/** Small display helpers shared by tables and pages (pure functions, no DOM). */

/** @type {Array<[string, number]>} */
const UNITS = [
  ["d", 86400],
  ["h", 3600],
  ["m", 60],
  ["s", 1],
];

/**
 * kubectl-style age of a timestamp: "45s", "12m", "3h20m", "5d".
 * @param {string|number|Date} value ISO string, epoch milliseconds or Date
 * @param {number} [now] epoch milliseconds
 * @returns {string}
 */
export function formatAge(value, now = Date.now()) {
  const time = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (Number.isNaN(time)) return String(value ?? "");
  let seconds = Math.max(0, Math.floor((now - time) / 1000));
  const parts = [];
  for (const [unit, size] of UNITS) {
    if (seconds >= size || (unit === "s" && parts.length === 0)) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
    if (parts.length === 2) break;
  }
  // Like kubectl: one unit once the age is in days, two below that.
  return parts[0]?.endsWith("d") ? parts[0] : parts.join("");
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const DURATION_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const RATIO_RE = /^(\d+)\/(\d+)$/;

/**
 * A value that sorts naturally: numbers, timestamps, "3/4" ratios, "5d3h" ages, then text.
 * @param {unknown} value
 * @returns {number|string}
 */
export function sortKey(value) {
  if (value === null || value === undefined || value === "") return "";
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  const text = String(value);
  if (ISO_RE.test(text)) return -Date.parse(text); // newer first = smaller age
  const ratio = RATIO_RE.exec(text);
  if (ratio) return Number(ratio[2]) ? Number(ratio[1]) / Number(ratio[2]) : 0;
  const duration = DURATION_RE.exec(text);
  if (duration && duration[0]) {
    const [, d = 0, h = 0, m = 0, s = 0] = duration;
    return Number(d) * 86400 + Number(h) * 3600 + Number(m) * 60 + Number(s);
  }
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text.toLowerCase();
}

/**
 * Compare two values with `sortKey` (numbers before text).
 * @returns {number}
 */
export function compareValues(a, b) {
  return compareKeys(sortKey(a), sortKey(b));
}

/**
 * Compare two results of `sortKey` (numbers before text).
 * @returns {number}
 */
export function compareKeys(ka, kb) {
  if (typeof ka === "number" && typeof kb === "number") return ka - kb;
  if (typeof ka === "number") return -1;
  if (typeof kb === "number") return 1;
  return COLLATOR.compare(ka, kb);
}

// One collator for all comparisons: creating one per call would dominate a 10k-row sort.
const COLLATOR = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** @type {Array<[string, RegExp]>} */
const STATUS_CLASSES = [
  ["ok", /^(running|ready|active|bound|succeeded|completed?|healthy|available|true|normal|established)$/i],
  ["warn", /^(pending|containercreating|podinitializing|terminating|unknown|waiting|progressing|released|notready|warning|scheduling.*|init:.*)$/i],
  ["error", /(failed|error|crashloop|backoff|errimagepull|oomkilled|evicted|lost|unreachable|false|invalid)/i],
];

/**
 * Colour class for a status-like value: "ok", "warn", "error" or "" (neutral).
 * @param {unknown} value
 * @returns {string}
 */
export function statusTone(value) {
  const text = String(value ?? "").trim();
  if (!text) return "";
  const ratio = RATIO_RE.exec(text);
  if (ratio) {
    const [ready, total] = [Number(ratio[1]), Number(ratio[2])];
    return total === 0 ? "" : ready >= total ? "ok" : ready === 0 ? "error" : "warn";
  }
  for (const [tone, pattern] of STATUS_CLASSES) if (pattern.test(text)) return tone;
  return "";
}

/**
 * "1,234" style number.
 * @param {number} value
 */
export function formatCount(value) {
  return Number(value ?? 0).toLocaleString("en-US");
}
