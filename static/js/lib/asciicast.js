/**
 * asciinema v2 recordings (.cast): a JSON header line, then one JSON array per event
 * `[seconds, "o"|"r"|"i", data]`. Only output and resize events matter for playback.
 */

/**
 * @param {string} text
 * @returns {{header: {version: number, width: number, height: number, timestamp?: number, title?: string},
 *            events: Array<{time: number, type: string, data: string}>, duration: number}}
 * @throws {Error} when the header is not an asciicast v2 header
 */
export function parseCast(text) {
  const lines = String(text ?? "").split("\n");
  let header;
  try {
    header = JSON.parse(lines[0]);
  } catch {
    throw new Error("This recording is not an asciicast file.");
  }
  if (!header || header.version !== 2) throw new Error(`Unsupported asciicast version ${header?.version ?? "?"}.`);
  const events = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      const [time, type, data] = JSON.parse(line);
      if (typeof time === "number" && (type === "o" || type === "r")) events.push({ time, type, data: String(data ?? "") });
    } catch {
      // A truncated last line (the size cap, or a crash) is skipped.
    }
  }
  return { header, events, duration: events.length ? events[events.length - 1].time : 0 };
}

/**
 * Compress long pauses so playback does not sit idle (like asciinema's idle_time_limit).
 * @template {{time: number}} E
 * @param {E[]} events
 * @param {number} limit seconds
 * @returns {E[]} new events with adjusted times
 */
export function limitIdle(events, limit = 2) {
  let shift = 0;
  let previous = 0;
  return events.map((event) => {
    const gap = event.time - previous;
    if (gap > limit) shift += gap - limit;
    previous = event.time;
    return { ...event, time: event.time - shift };
  });
}

/**
 * Parse a resize event's "COLSxROWS".
 * @returns {{cols: number, rows: number}|null}
 */
export function parseSize(data) {
  const match = /^(\d+)x(\d+)$/.exec(String(data));
  return match ? { cols: Number(match[1]), rows: Number(match[2]) } : null;
}
