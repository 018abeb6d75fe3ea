/**
 * CPU and memory columns for the lists of kinds with the `metrics` capability (GET /kinds): the server's current
 * usage (GET /clusters/{id}/metrics/{kind}, one request per sampler round, never one per row) joined to the live
 * rows by namespace and name. A whole list sorts by them in the browser, a windowed one asks the server
 * (`sort=metrics.cpu`, ...: the same values, in the same order): ties by namespace then name, rows without a value
 * last in both directions. `sampledAt` changes with each sampler round (a windowed list sorted by these columns
 * reads its pages again then). When no metrics source works the columns are left out and `reason` says why.
 */
import { useEffect, useMemo, useState } from "../lib/ui.js";
import { formatBytes, formatCores } from "../lib/format.js";
import { kindCan } from "../lib/permissions.js";
import { metricsCurrent } from "../api/metrics.js";

/** Never ask more often than this, whatever the sampler's interval. */
const MIN_REFRESH_MS = 5_000;
const DEFAULT_REFRESH_MS = 15_000;

const percent = (value) => (value === null || value === undefined ? "—" : `${Math.round(value)}%`);

/**
 * @param {{clusterId: string, kind: object, resource: string, namespace: string}} options
 * @returns {{columns: Array<import("../components/VirtualTable.js").Column & {priority: number}>, reason: string|null,
 *   sampledAt: number|null}}
 */
export function useMetricsColumns({ clusterId, kind, resource, namespace }) {
  const metered = kindCan(kind, "metrics");
  const [answer, setAnswer] = useState(/** @type {any} */ (null));
  useEffect(() => {
    if (!metered) return undefined;
    const controller = new AbortController();
    let timer = 0;
    const load = () => {
      metricsCurrent(clusterId, resource, { namespace: namespace || undefined, signal: controller.signal })
        .then((data) => {
          setAnswer(data);
          const every = Math.max(MIN_REFRESH_MS, (data?.intervalSeconds ?? 0) * 1000 || DEFAULT_REFRESH_MS);
          timer = window.setTimeout(load, every);
        }, (error) => {
          if (error?.name === "AbortError") return;
          setAnswer({ available: false, reason: error?.message ?? "metrics are unavailable" });
          timer = window.setTimeout(load, DEFAULT_REFRESH_MS);
        });
    };
    load();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [metered, clusterId, resource, namespace]);

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
