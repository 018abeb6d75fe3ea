/**
 * A live list of one kind, in one of two modes chosen by the first page's `meta.total`:
 * - whole (up to `windowRows` rows, the server's `table_window_rows`): loads the `view=table` list page by page (all
 *   of them, up to MAX_PAGES), keeps it current over the shared watch socket (ADDED/MODIFIED replace a row, DELETED
 *   removes it; events that arrive while pages are still loading are applied after the last page); the page sorts
 *   and filters the rows in the browser;
 * - windowed (longer lists): a TableWindow (tableWindow.js) reads only the pages around the view, sorted and
 *   filtered by the server (`sort`, `text`), and follows the same watch events.
 * Either re-lists on a resync, and reports how current the list is (the socket's state plus the server cache's
 * stale/confirmedAt, from useCacheFreshness).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { listResourceTable } from "../api/clusters.js";
import { socketStatus, watch } from "../api/socket.js";
import { notifyError } from "../state/toasts.js";
import { rowKey } from "./resourceColumns.js";
import { useCacheFreshness } from "./useCacheFreshness.js";
import { TableWindow } from "./tableWindow.js";

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
 * @property {any[]} rows the current rows, a new array after every change (none when windowed)
 * @property {TableWindow|null} window the windowed list's pages, when the list is windowed
 * @property {"pending"|"whole"|"windowed"} mode which mode the first page chose ("pending" until it answered)
 * @property {number} version changes with every change of the rows (windowed or not)
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
 * @param {{clusterId: string, resource: string, namespace: string, labelSelector?: string, errorTitle: string,
 *          windowRows: number, sort: string|null, text: string}} target
 *   `namespace` "" means all namespaces (or a cluster-scoped kind); `errorTitle` heads the toast of a failed list;
 *   a list of more than `windowRows` rows is windowed, and then ordered by `sort` (the API's, or null: by name) and
 *   filtered by `text` (lib/tableFilter.js `filterNeedle`) on the server
 * @returns {LiveTable}
 */
export function useLiveTable({ clusterId, resource, namespace, labelSelector, errorTitle, windowRows, sort, text }) {
  const [table, setTable] = useState({
    columns: [], version: 0, loadId: 0, mode: /** @type {"pending"|"whole"|"windowed"} */ ("pending"),
  });
  const [status, setStatus] = useState({ loading: true, error: null, meta: {}, partial: false });
  const [live, setLive] = useState("connecting");
  const [generation, setGeneration] = useState(0);
  const rowsRef = useRef(new Map());
  const windowRef = useRef(/** @type {TableWindow|null} */ (null));
  const queryRef = useRef({ sort, text });
  queryRef.current = { sort, text };
  const windowRowsRef = useRef(windowRows);
  windowRowsRef.current = windowRows;
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
    windowRef.current = null;
    loads.current += 1;
    setStatus({ loading: true, error: null, meta: {}, partial: false });
    setTable({ columns: [], version: 0, loadId: loads.current, mode: "pending" });
    setLive("connecting");

    const apply = (events) => {
      if (windowRef.current) {
        windowRef.current.apply(events);
        return;
      }
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

    const fail = (error) => {
      setStatus({ loading: false, error, meta: {}, partial: false });
      if (!(labelSelector && error?.code === INVALID_SELECTOR)) notifyError(errorTitleRef.current, error);
    };
    /** Above the threshold: a window over the list, seeded with the first page when it is in the window's order
     * (the server's: by name). */
    const openWindow = (data, meta) => {
      const tableWindow = new TableWindow({ clusterId, resource, namespace, labelSelector }, queryRef.current, {
        onChange: () => {
          setTable((prev) => ({ ...prev, columns: tableWindow.columns ?? prev.columns, version: prev.version + 1 }));
          setStatus({ loading: tableWindow.loading, error: null, meta: tableWindow.meta, partial: false });
        },
        onError: fail,
      });
      tableWindow.columns = data?.columns;
      windowRef.current = tableWindow;
      setTable((prev) => ({ ...prev, mode: "windowed" }));
      const { sort: order, text: needle } = queryRef.current;
      if ((order ?? "name") === "name" && !needle) tableWindow.seed(data?.rows ?? [], meta);
      else tableWindow.restart();
    };

    (async () => {
      try {
        for (let page = 1; page <= MAX_PAGES; page++) {
          const { data, meta } = await listResourceTable(clusterId, resource, {
            namespace, labelSelector: labelSelector || undefined, page, pageSize: PAGE_SIZE, signal: controller.signal,
          });
          if (page === 1 && (meta.total ?? 0) > windowRowsRef.current) {
            openWindow(data, meta);
            break;
          }
          for (const row of data?.rows ?? []) rowsRef.current.set(rowKey(row), row);
          const total = meta.total ?? rowsRef.current.size;
          const more = (data?.rows?.length ?? 0) === PAGE_SIZE && rowsRef.current.size < total;
          setTable((prev) => ({ ...prev, columns: data?.columns ?? prev.columns, version: prev.version + 1, mode: "whole" }));
          setStatus({ loading: more, error: null, meta, partial: more });
          if (!more) break;
        }
        loaded = true;
        if (buffered.length) apply(buffered.splice(0));
      } catch (error) {
        if (controller.signal.aborted || error?.name === "AbortError") return;
        fail(error);
      }
    })();

    return () => {
      controller.abort();
      windowRef.current?.close();
      unsubscribe();
    };
  }, [clusterId, resource, namespace, labelSelector, generation]);

  // A windowed list follows the order and filter (a whole one is sorted and filtered by the page).
  useEffect(() => windowRef.current?.setQuery({ sort, text }), [sort, text, table.loadId]);

  const rows = useMemo(() => (windowRef.current ? [] : [...rowsRef.current.values()]), [table.version]);
  const freshness = useCacheFreshness({
    clusterId, resource, namespace, labelSelector: labelSelector || undefined, meta: status.meta,
  });
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return {
    columns: table.columns,
    rows,
    loading: status.loading,
    partial: status.partial,
    total: windowRef.current ? windowRef.current.total : status.meta.total ?? rows.length,
    window: windowRef.current,
    mode: table.mode,
    version: table.version,
    error: status.error,
    live: live === "unavailable" || live === "stopped" ? live : socketState,
    freshness,
    loadId: table.loadId,
    reload,
  };
}
