/**
 * CPU and memory columns for the lists of kinds with the `metrics` capability (GET /kinds): the server's current
 * usage (GET /clusters/{id}/metrics/{kind}, one request per sampler round, never one per row) joined to the live
 * rows by namespace and name. A windowed list asks only for the rows it holds (POST with their keys, at most 2,400),
 * at each round and KEYS_DEBOUNCE_MS after the rows it holds change; nothing is asked before the list knows which it
 * is, so a 100k-pod list never reads every pod's values. A whole list sorts by them in the browser, a windowed one
 * asks the server (`sort=metrics.cpu`, ...: the same values, in the same order): ties by namespace then name, rows
 * without a value last in both directions. `sampledAt` changes with each sampler round (a windowed list sorted by these columns
 * reads its pages again then). When no metrics source works the columns are left out and `reason` says why.
 */
import { useEffect, useMemo, useRef, useState } from "../lib/ui.js";
import { formatBytes, formatCores } from "../lib/format.js";
import { kindCan } from "../lib/permissions.js";
import { metricsCurrent, metricsOf } from "../api/metrics.js";

/** Never ask more often than this, whatever the sampler's interval. */
const MIN_REFRESH_MS = 5_000;
const DEFAULT_REFRESH_MS = 15_000;
/** A windowed list asks for the values of the rows it holds once they rested this long (scrolling reads pages). */
export const KEYS_DEBOUNCE_MS = 250;

const percent = (value) => (value === null || value === undefined ? "—" : `${Math.round(value)}%`);

/**
 * @param {{clusterId: string, kind: object, resource: string, namespace: string, rowKeys: string[]|null|undefined}}
 *   options `rowKeys`: the keys of the rows a windowed list holds (useLiveTable's `window.loadedKeys()`), null for a
 *   whole list (every object's values), undefined while the list's mode is not known (nothing is asked)
 * @returns {{columns: Array<import("../components/VirtualTable.js").Column & {priority: number}>, reason: string|null,
 *   sampledAt: number|null}}
 */
export function useMetricsColumns({ clusterId, kind, resource, namespace, rowKeys }) {
  const metered = kindCan(kind, "metrics");
  const [answer, setAnswer] = useState(/** @type {any} */ (null));
  const known = rowKeys !== undefined;
  const windowed = Array.isArray(rowKeys);
  // One string per set of rows, so that rows read again unchanged ask nothing new.
  const keys = useMemo(() => (windowed ? rowKeys.join("\n") : ""), [windowed, rowKeys]);
  const keysRef = useRef(keys);
  keysRef.current = keys;
  const askRef = useRef(() => {});
  useEffect(() => {
    if (!metered || !known) return undefined;
    let controller = new AbortController();
    let timer = 0;
    let asked = /** @type {string|null} */ (null);
    const load = () => {
      window.clearTimeout(timer);
      controller.abort();
      controller = new AbortController();
      const { signal } = controller;
      asked = keysRef.current;
      const names = windowed ? asked.split("\n").filter(Boolean) : null;
      if (names && !names.length) return; // no rows held yet: asked when they come
      const options = { namespace: namespace || undefined, signal };
      (names ? metricsOf(clusterId, resource, names, options) : metricsCurrent(clusterId, resource, options))
        .then((data) => {
          setAnswer(data);
          const every = Math.max(MIN_REFRESH_MS, (data?.intervalSeconds ?? 0) * 1000 || DEFAULT_REFRESH_MS);
          timer = window.setTimeout(load, every);
        }, (error) => {
          if (signal.aborted || error?.name === "AbortError") return;
          setAnswer({ available: false, reason: error?.message ?? "metrics are unavailable" });
          timer = window.setTimeout(load, DEFAULT_REFRESH_MS);
        });
    };
    askRef.current = () => {
      if (keysRef.current !== asked) load();
    };
    load();
    return () => {
      askRef.current = () => {};
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [metered, known, windowed, clusterId, resource, namespace]);

  // The rows a windowed list holds changed: ask for theirs once they rest.
  useEffect(() => {
    if (!windowed) return undefined;
    const timer = window.setTimeout(() => askRef.current(), KEYS_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [windowed, keys]);

  return useMemo(() => {
    if (!metered || !answer?.available) {
      return { columns: [], reason: metered ? answer?.reason ?? null : null, sampledAt: null };
    }
    const usage = new Map((answer.items ?? []).map((item) => [`${item.namespace ?? ""}/${item.name}`, item]));
    const of = (row) => usage.get(`${row.namespace ?? ""}/${row.name}`);
    const value = (row, field) => of(row)?.[field] ?? null;
    const column = (key, label, field, format, priority = 0) => ({
      key, label, priority, minWidth: 90, grow: 0, align: /** @type {"right"} */ ("right"),
      value: (row) => value(row, field), render: (row) => format(value(row, field)),
      // The server's order of `sort=metrics.*`: by the value, then namespace, then name; valueless rows last.
      sortKey: (row) => [value(row, field) ?? 0, row.namespace ?? "", row.name ?? ""],
      hasValue: (row) => value(row, field) !== null,
    });
    const node = resource === "nodes";
    return {
      reason: null,
      sampledAt: answer.sampledAt ?? null,
      columns: [
        column("metrics.cpu", "CPU", "cpu", formatCores),
        column(node ? "metrics.cpuOfAllocatable" : "metrics.cpuOfRequest", node ? "CPU %" : "CPU % req",
          node ? "cpuOfAllocatable" : "cpuOfRequest", percent),
        ...(node ? [] : [column("metrics.cpuOfLimit", "CPU % lim", "cpuOfLimit", percent, 1)]),
        column("metrics.memory", "Memory", "memory", formatBytes),
        column(node ? "metrics.memoryOfAllocatable" : "metrics.memoryOfRequest", node ? "Mem %" : "Mem % req",
          node ? "memoryOfAllocatable" : "memoryOfRequest", percent),
        ...(node ? [] : [column("metrics.memoryOfLimit", "Mem % lim", "memoryOfLimit", percent, 1)]),
      ],
    };
  }, [metered, answer, resource]);
}
