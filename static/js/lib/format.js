/** Small display helpers shared by tables and pages (pure functions, no DOM). */

/**
 * kubectl's rendering of a duration (apimachinery's `duration.HumanDuration`, the API server's Table printer for
 * ages and a Job's DURATION): "45s" below 2 minutes, "3m2s" below 10, "25m" below 3 hours, "5h20m" below 8,
 * "20h" below 2 days, "3d5h" below 8, "30d" below 2 years, "2y45d" below 8, then "9y".
 * @param {number} seconds
 * @returns {string}
 */
export function humanDuration(seconds) {
  const whole = Math.trunc(seconds);
  if (whole < -1) return "<invalid>";
  if (whole < 0) return "0s";
  if (whole < 120) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 10) return whole % 60 ? `${minutes}m${whole % 60}s` : `${minutes}m`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 ? `${years}y${days % 365}d` : `${years}y`;
  return `${years}y`;
}

/**
 * kubectl-style age of a timestamp ("45s", "3m2s", "5h20m", "3d5h"; `humanDuration`). A timestamp ahead of the
 * browser's clock (the two clocks differ a little) shows "0s", not kubectl's "<invalid>".
 * @param {string|number|Date} value ISO string, epoch milliseconds or Date
 * @param {number} [now] epoch milliseconds
 * @returns {string}
 */
export function formatAge(value, now = Date.now()) {
  const time = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (Number.isNaN(time)) return String(value ?? "");
  return humanDuration(Math.max(0, (now - time) / 1000));
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

/**
 * CPU in cores as "250m" (under one core) or "1.5 cores".
 * @param {number|null|undefined} cores
 */
export function formatCores(cores) {
  if (cores === null || cores === undefined) return "—";
  if (cores < 1) return `${Number((cores * 1000).toPrecision(3))}m`;
  return `${Number(cores.toPrecision(3))} cores`;
}

/**
 * Bytes in binary units: "512 B", "64 MiB", "1.5 GiB".
 * @param {number|null|undefined} bytes
 */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}
