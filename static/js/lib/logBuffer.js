/**
 * The lines of a log view, capped in memory: when more than `capacity` lines arrive, the oldest are
 * dropped (in chunks, so appends stay amortised O(1)). Entries are plain objects; `seq` numbers
 * are stable keys for rendering. A filter index (positions of matching entries) is kept up to date
 * incrementally, so a new batch is tested once, not the whole buffer.
 */

/** Default cap: enough for long sessions without exhausting the tab's memory. */
export const DEFAULT_CAPACITY = 200_000;

/**
 * @typedef {{seq: number, text: string, pod?: string, container?: string, meta?: boolean}} LogEntry
 */

export class LogBuffer {
  /** @param {number} [capacity] */
  constructor(capacity = DEFAULT_CAPACITY) {
    this.capacity = capacity;
    /** @type {LogEntry[]} */
    this.entries = [];
    this.dropped = 0;
    /** How many held entries are stream notes (meta) rather than log lines. */
    this.metaCount = 0;
    this.nextSeq = 1;
    this.version = 0;
    /** @type {RegExp|null} */
    this.filter = null;
    this.podFilter = null;
    /** @type {number[]|null} positions of matching entries (null = no filter) */
    this.matches = null;
  }

  /**
   * Append entries (without seq); returns how many were added.
   * @param {Array<Omit<LogEntry, "seq">>} items
   */
  push(items) {
    const start = this.entries.length;
    for (const item of items) {
      this.entries.push({ ...item, seq: this.nextSeq++ });
      if (item.meta) this.metaCount++;
    }
    if (this.matches) {
      for (let i = start; i < this.entries.length; i++) if (this.test(this.entries[i])) this.matches.push(i);
    }
    const overflow = this.entries.length - this.capacity;
    if (overflow > 0) {
      // Drop a little more than needed so the next appends do not splice again at once.
      const drop = Math.min(this.entries.length, overflow + Math.ceil(this.capacity / 20));
      for (const entry of this.entries.splice(0, drop)) if (entry.meta) this.metaCount--;
      this.dropped += drop;
      if (this.matches) {
        let cut = 0;
        while (cut < this.matches.length && this.matches[cut] < drop) cut++;
        this.matches = this.matches.slice(cut).map((i) => i - drop);
      }
    }
    this.version++;
    return items.length;
  }

  /** Forget everything (a new stream). */
  clear() {
    this.entries = [];
    this.dropped = 0;
    this.metaCount = 0;
    if (this.matches) this.matches = [];
    this.version++;
  }

  /**
   * Set the line filter (a RegExp without the g flag, or null) and the pod filter (a Set of
   * "pod/container" keys to hide, or null); rebuilds the match index.
   */
  setFilter(regex, hidden = null) {
    this.filter = regex;
    this.podFilter = hidden && hidden.size ? hidden : null;
    if (!this.filter && !this.podFilter) {
      this.matches = null;
    } else {
      const matches = [];
      for (let i = 0; i < this.entries.length; i++) if (this.test(this.entries[i])) matches.push(i);
      this.matches = matches;
    }
    this.version++;
  }

  /** @param {LogEntry} entry */
  test(entry) {
    if (entry.meta) return !this.filter;
    if (this.podFilter && this.podFilter.has(`${entry.pod}/${entry.container}`)) return false;
    return !this.filter || this.filter.test(entry.text);
  }

  /** Number of log lines held (stream notes such as "stream ended" not counted). */
  get lineCount() {
    return this.entries.length - this.metaCount;
  }

  /** Number of entries shown. */
  get visibleCount() {
    return this.matches ? this.matches.length : this.entries.length;
  }

  /** The n-th shown entry. */
  visibleAt(n) {
    return this.entries[this.matches ? this.matches[n] : n];
  }

  /** Shown entries as plain text (for a download of what is on screen). */
  toText() {
    const out = [];
    for (let n = 0; n < this.visibleCount; n++) {
      const e = this.visibleAt(n);
      if (e.meta) continue;
      out.push(e.pod ? `[${e.pod}/${e.container}] ${e.text}` : e.text);
    }
    return out.join("\n") + (out.length ? "\n" : "");
  }
}

/**
 * Compile a user's filter: empty → null; invalid → {error}. Case-insensitive unless the
 * pattern has an upper-case letter (smart case, as in editors).
 * @param {string} source
 * @returns {{regex: RegExp|null, error: string|null}}
 */
export function compileFilter(source) {
  if (!source) return { regex: null, error: null };
  try {
    return { regex: new RegExp(source, /[A-Z]/.test(source) ? "" : "i"), error: null };
  } catch (error) {
    return { regex: null, error: error.message.replace(/^Invalid regular expression: /, "") };
  }
}

/**
 * Split text into plain and matching parts for highlighting.
 * @param {string} text
 * @param {RegExp|null} regex
 * @returns {Array<{text: string, match: boolean}>}
 */
export function splitMatches(text, regex) {
  if (!regex) return [{ text, match: false }];
  const global = new RegExp(regex.source, regex.flags.includes("g") ? regex.flags : `${regex.flags}g`);
  const parts = [];
  let last = 0;
  for (let m = global.exec(text); m; m = global.exec(text)) {
    if (m[0] === "") {
      global.lastIndex++;
      continue;
    }
    if (m.index > last) parts.push({ text: text.slice(last, m.index), match: false });
    parts.push({ text: m[0], match: true });
    last = m.index + m[0].length;
    if (parts.length > 200) break;
  }
  if (last < text.length) parts.push({ text: text.slice(last), match: false });
  return parts;
}

/**
 * A stable colour slot (0-7) for a pod/container name, for tags in merged logs.
 * @param {string} key
 */
export function colourSlot(key) {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(hash) % 8;
}
