/**
 * A live list of one kind: loads the `view=table` list page by page (all of them, up to MAX_PAGES), keeps it
 * current over the shared watch socket (ADDED/MODIFIED replace a row, DELETED removes it; events that arrive
 * while pages are still loading are applied after the last page), re-lists on a resync, and reports how
 * current the list is (the socket's state plus the server cache's stale/confirmedAt, from useCacheFreshness).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { listResourceTable } from "../api/clusters.js";
import { socketStatus, watch } from "../api/socket.js";
import { notifyError } from "../state/toasts.js";
import { rowKey } from "./resourceColumns.js";
import { useCacheFreshness } from "./useCacheFreshness.js";

export const PAGE_SIZE = 1000; // the API's maximum page size
export const MAX_PAGES = 100; // 100k rows: beyond this a browser list stops being useful
// 40002: the label selector does not parse (the page shows that next to the selector field, not as a toast).
const INVALID_SELECTOR = 40002;
// The socket's stop: the session may not watch any more (sign in again).
const NOT_ALLOWED = 40100;

/**
 * @typedef {object} LiveTable
 * @property {Array<{name: string, kind: string, label: string, type?: string, priority?: number}>} columns
 *   the server's table columns (resourceColumns.tableColumns turns them into VirtualTable columns)
 * @property {any[]} rows the current rows, a new array after every change
 * @property {boolean} loading pages are still being read
 * @property {boolean} partial some pages are loaded, more are coming
 * @property {number} total the server's count (meta.total), or the rows loaded when it sent none
 * @property {any} error the list request's ApiError, or null
 * @property {string} live "open" | "connecting" | "reconnecting" | "idle" | "stopped" | "unavailable"
 * @property {{stale: boolean, confirmedAt: string|null, unreachable: boolean, source: string|undefined}} freshness
 * @property {number} loadId changes each time the list is read again from scratch (reload, resync, new target)
 * @property {() => void} reload read the list again and re-subscribe
 */

/**
 * @param {{clusterId: string, resource: string, namespace: string, labelSelector?: string, errorTitle: string}} target
 *   `namespace` "" means all namespaces (or a cluster-scoped kind); `errorTitle` heads the toast of a failed list
 * @returns {LiveTable}
 */
export function useLiveTable({ clusterId, resource, namespace, labelSelector, errorTitle }) {
  const [table, setTable] = useState({ columns: [], version: 0, loadId: 0 });
  const [status, setStatus] = useState({ loading: true, error: null, meta: {}, partial: false });
  const [live, setLive] = useState("connecting");
  const [generation, setGeneration] = useState(0);
  const rowsRef = useRef(new Map());
  const loads = useRef(0);
  const socketState = useStore(socketStatus);
  const errorTitleRef = useRef(errorTitle);
  errorTitleRef.current = errorTitle;

  // Load every page, then apply events that arrived meanwhile; re-run on resync or reload.
  useEffect(() => {
    const controller = new AbortController();
    const buffered = [];
    let loaded = false;
    rowsRef.current = new Map();
    loads.current += 1;
    setStatus({ loading: true, error: null, meta: {}, partial: false });
    setTable({ columns: [], version: 0, loadId: loads.current });
    setLive("connecting");

    const apply = (events) => {
      const rows = rowsRef.current;
      for (const event of events) {
        const key = rowKey(event);
        if (event.type === "DELETED") rows.delete(key);
        else if (event.row) rows.set(key, { ...event.row, name: event.name, namespace: event.namespace ?? event.row.namespace });
      }
      setTable((prev) => ({ ...prev, version: prev.version + 1 }));
    };

    /** @type {import("../api/socket.js").WatchTarget} */
    const watchTarget = { cluster: clusterId, resource, namespace, labelSelector: labelSelector || undefined, view: "table" };
    const unsubscribe = watch(watchTarget, {
      onEvents: (events) => (loaded ? apply(events) : buffered.push(...events)),
      onResync: () => setGeneration((g) => g + 1),
      onError: (error) => setLive(error.code === NOT_ALLOWED ? "stopped" : "unavailable"),
    });

    (async () => {
      try {
        for (let page = 1; page <= MAX_PAGES; page++) {
          const { data, meta } = await listResourceTable(clusterId, resource, {
            namespace, labelSelector: labelSelector || undefined, page, pageSize: PAGE_SIZE, signal: controller.signal,
          });
          for (const row of data?.rows ?? []) rowsRef.current.set(rowKey(row), row);
          const total = meta.total ?? rowsRef.current.size;
          const more = (data?.rows?.length ?? 0) === PAGE_SIZE && rowsRef.current.size < total;
          setTable((prev) => ({ ...prev, columns: data?.columns ?? prev.columns, version: prev.version + 1 }));
          setStatus({ loading: more, error: null, meta, partial: more });
          if (!more) break;
        }
        loaded = true;
        if (buffered.length) apply(buffered.splice(0));
      } catch (error) {
        if (controller.signal.aborted || error?.name === "AbortError") return;
        setStatus({ loading: false, error, meta: {}, partial: false });
        if (!(labelSelector && error?.code === INVALID_SELECTOR)) notifyError(errorTitleRef.current, error);
      }
    })();

    return () => {
      controller.abort();
      unsubscribe();
    };
  }, [clusterId, resource, namespace, labelSelector, generation]);

  const rows = useMemo(() => [...rowsRef.current.values()], [table.version]);
  const freshness = useCacheFreshness({
    clusterId, resource, namespace, labelSelector: labelSelector || undefined, meta: status.meta,
  });
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return {
    columns: table.columns,
    rows,
    loading: status.loading,
    partial: status.partial,
    total: status.meta.total ?? rows.length,
    error: status.error,
    live: live === "unavailable" || live === "stopped" ? live : socketState,
    freshness,
    loadId: table.loadId,
    reload,
  };
}
