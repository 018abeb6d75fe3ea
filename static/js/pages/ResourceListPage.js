/**
 * A live list of one resource kind in one namespace (or all): loads the table view page by page,
 * keeps it current over the shared watch socket, and offers filter, sort, multi-select delete.
 * Filtering and sorting run in the browser over the loaded rows, so they are instant at 10k rows.
 */
import { html, cx, useEffect, useMemo, useRef, useState } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { formatCount } from "../lib/format.js";
import { kindLabel } from "../lib/kinds.js";
import { batchDelete, listResourceTable } from "../api/clusters.js";
import { socketStatus, watch } from "../api/socket.js";
import { ALL_NAMESPACES, navigate, paths, updateQuery } from "../router.js";
import { notifyError, pushToast } from "../state/toasts.js";
import { VirtualTable } from "../components/VirtualTable.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { Spinner } from "../components/Spinner.js";
import { rowKey, tableColumns } from "./resourceColumns.js";

const PAGE_SIZE = 1000; // the API's maximum page size
const MAX_PAGES = 100; // 100k rows: beyond this a browser list stops being useful
const BATCH_LIMIT = 100; // the batch-delete endpoint takes at most 100 items per call
const AGE_TICK_MS = 30000; // relative ages ("5m") refresh this often
const FILTER_DEBOUNCE_MS = 200;

/**
 * @param {{clusterId: string, namespace: string, resource: string, kind: object, query: URLSearchParams}} props
 */
export function ResourceListPage({ clusterId, namespace, resource, kind, query }) {
  const apiNamespace = kind.namespaced === false || namespace === ALL_NAMESPACES ? "" : namespace;
  const [table, setTable] = useState({ columns: [], version: 0 });
  const [status, setStatus] = useState({ loading: true, error: null, meta: {}, partial: false });
  const [filter, setFilter] = useState(query.get("q") ?? "");
  const [selected, setSelected] = useState(() => new Set());
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [live, setLive] = useState("connecting");
  const [generation, setGeneration] = useState(0);
  const rowsRef = useRef(new Map());
  const live$ = useStore(socketStatus);

  const sortParam = query.get("sort") ?? "name";
  const sort = { key: sortParam.replace(/^-/, ""), dir: sortParam.startsWith("-") ? "desc" : "asc" };

  // Load every page, then apply events that arrived meanwhile; re-run on resync or refresh.
  useEffect(() => {
    const controller = new AbortController();
    const buffered = [];
    let loaded = false;
    rowsRef.current = new Map();
    setSelected(new Set());
    setStatus({ loading: true, error: null, meta: {}, partial: false });
    setTable({ columns: [], version: 0 });
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

    const unsubscribe = watch({ cluster: clusterId, resource, namespace: apiNamespace, view: "table" }, {
      onEvents: (events) => (loaded ? apply(events) : buffered.push(...events)),
      onResync: () => setGeneration((g) => g + 1),
      onError: (error) => setLive(error.code === 40100 ? "stopped" : "unavailable"),
    });

    (async () => {
      try {
        for (let page = 1; page <= MAX_PAGES; page++) {
          const { data, meta } = await listResourceTable(clusterId, resource, {
            namespace: apiNamespace, page, pageSize: PAGE_SIZE, signal: controller.signal,
          });
          for (const row of data?.rows ?? []) rowsRef.current.set(rowKey(row), row);
          const total = meta.total ?? rowsRef.current.size;
          const more = (data?.rows?.length ?? 0) === PAGE_SIZE && rowsRef.current.size < total;
          setTable((prev) => ({ columns: data?.columns ?? prev.columns, version: prev.version + 1 }));
          setStatus({ loading: more, error: null, meta, partial: more });
          if (!more) break;
        }
        loaded = true;
        if (buffered.length) apply(buffered.splice(0));
      } catch (error) {
        if (controller.signal.aborted || error?.name === "AbortError") return;
        setStatus({ loading: false, error, meta: {}, partial: false });
        notifyError(`Could not list ${kindLabel(kind).toLowerCase()}`, error);
      }
    })();

    return () => {
      controller.abort();
      unsubscribe();
    };
  }, [clusterId, resource, apiNamespace, generation]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), AGE_TICK_MS);
    return () => clearInterval(timer);
  }, []);

  // Keep ?q= in the URL (shareable) without a history entry per keystroke.
  useEffect(() => {
    const timer = setTimeout(() => updateQuery({ q: filter || null }), FILTER_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [filter]);

  const allRows = useMemo(() => [...rowsRef.current.values()], [table.version]);
  const rows = useMemo(() => filterRows(allRows, filter), [allRows, filter]);
  const showNamespace = kind.namespaced !== false && apiNamespace === "";
  const columns = useMemo(
    () => tableColumns(table.columns, { clusterId, resource, showNamespace, now }),
    [table.columns, clusterId, resource, showNamespace, now],
  );

  const liveState = live === "unavailable" || live === "stopped" ? live : live$;
  const onSortChange = (next) => updateQuery({ sort: `${next.dir === "desc" ? "-" : ""}${next.key}` });
  const openRow = (row) => navigate(paths.detail(clusterId, row.namespace, resource, row.name));
  const selectedRows = allRows.filter((row) => selected.has(rowKey(row)));

  const deleteSelected = async () => {
    setDeleting(true);
    const items = selectedRows.map((row) => ({ resource, namespace: row.namespace || undefined, name: row.name }));
    const failures = [];
    try {
      for (let i = 0; i < items.length; i += BATCH_LIMIT) {
        const results = await batchDelete(clusterId, items.slice(i, i + BATCH_LIMIT));
        failures.push(...(results ?? []).filter((r) => r.code !== 0));
      }
      const done = items.length - failures.length;
      if (done) pushToast({ kind: "success", message: `Deleted ${done} ${done === 1 ? kind.kind : kindLabel(kind)}` });
      if (failures.length) {
        pushToast({ kind: "error", title: `${failures.length} could not be deleted`,
          message: `${failures[0].name}: ${failures[0].message}`, code: failures[0].code });
      }
      setSelected(new Set());
      if (liveState !== "open") setGeneration((g) => g + 1);
    } catch (error) {
      notifyError("Delete failed", error);
    } finally {
      setDeleting(false);
      setConfirming(false);
    }
  };

  const total = status.meta.total ?? allRows.length;
  const title = kindLabel(kind);
  return html`<div class="page page-list">
    <div class="page-header">
      <div class="page-heading">
        <h1 class="page-title">${title}</h1>
        <span class="count-badge" title="Items loaded">${formatCount(allRows.length)}${status.partial ? ` / ${formatCount(total)}` : ""}</span>
        <${LiveIndicator} state=${liveState} />
        ${status.meta.stale && html`<span class="chip chip-warn" title="The cache could not confirm it is in sync with the API server">stale</span>`}
      </div>
      <div class="page-subtitle">
        ${kind.namespaced === false ? "Cluster-scoped" : apiNamespace ? html`Namespace <strong>${apiNamespace}</strong>` : "All namespaces"}
        ${kind.group ? html` · <span class="mono">${kind.group}/${kind.version}</span>` : ""}
      </div>
    </div>
    <div class="toolbar">
      <label class="search-field">
        <${Icon} name="search" size=${15} />
        <input type="search" placeholder=${`Filter ${title.toLowerCase()} by name, namespace or any column`} value=${filter}
          aria-label="Filter rows" onInput=${(e) => setFilter(e.currentTarget.value)} />
      </label>
      ${filter && html`<span class="toolbar-note">${formatCount(rows.length)} match${rows.length === 1 ? "" : "es"}</span>`}
      <div class="toolbar-spacer"></div>
      ${selected.size > 0 && html`<div class="selection-bar" role="status">
        <span><strong>${formatCount(selected.size)}</strong> selected</span>
        <button type="button" class="button button-ghost" onClick=${() => setSelected(new Set())}>Clear</button>
        <button type="button" class="button button-danger" onClick=${() => setConfirming(true)}>
          <${Icon} name="trash" size=${14} /> Delete
        </button>
      </div>`}
      <button type="button" class="button" onClick=${() => setGeneration((g) => g + 1)} title="Reload the list">
        <${Icon} name="refresh" size=${14} /> Refresh
      </button>
    </div>
    <div class="table-region">
      ${status.error
        ? html`<${EmptyState} icon="alert" tone="error" title=${`Could not list ${title.toLowerCase()}`}
            action=${html`<button type="button" class="button" onClick=${() => setGeneration((g) => g + 1)}>Try again</button>`}>
            ${status.error.message}${status.error.requestId && html`<div class="muted mono small">Request ${status.error.requestId}</div>`}
          </${EmptyState}>`
        : html`<${VirtualTable} label=${title} columns=${columns} rows=${rows} rowKey=${rowKey}
            sort=${sort} onSortChange=${onSortChange} selectable selected=${selected} onSelectionChange=${setSelected}
            onRowActivate=${openRow}
            empty=${status.loading ? html`<span class="loading-inline"><${Spinner} size="sm" inline /> Loading…</span>`
              : filter ? `No ${title.toLowerCase()} match “${filter}”.` : `No ${title.toLowerCase()} found.`} />`}
    </div>
    <${ConfirmDialog} open=${confirming} danger busy=${deleting} confirmLabel=${`Delete ${selected.size}`}
      title=${`Delete ${selected.size} ${selected.size === 1 ? kind.kind : title}?`}
      message=${html`<p>This deletes the selected objects from the cluster. It cannot be undone.</p>
        <ul class="dialog-list">${selectedRows.slice(0, 8).map((r) => html`<li key=${rowKey(r)} class="mono">${r.namespace ? `${r.namespace}/` : ""}${r.name}</li>`)}
        ${selectedRows.length > 8 && html`<li class="muted">and ${selectedRows.length - 8} more</li>`}</ul>`}
      onConfirm=${deleteSelected} onCancel=${() => setConfirming(false)} />
  </div>`;
}

const LIVE_LABELS = {
  open: ["Live", "ok", "Receiving changes as they happen"],
  connecting: ["Connecting", "warn", "Opening the live update connection"],
  reconnecting: ["Reconnecting", "warn", "Live updates interrupted; retrying"],
  idle: ["Connecting", "warn", "Opening the live update connection"],
  stopped: ["Not live", "error", "Live updates stopped (sign in again)"],
  unavailable: ["Not live", "", "Live updates are not available for this list; use Refresh"],
};

function LiveIndicator({ state }) {
  const [label, tone, title] = LIVE_LABELS[state] ?? LIVE_LABELS.connecting;
  return html`<span class=${cx("live", tone && `live-${tone}`)} title=${title}><span class="live-dot"></span>${label}</span>`;
}

const searchText = new WeakMap();

function filterRows(rows, filter) {
  const needle = filter.trim().toLowerCase();
  if (!needle) return rows;
  return rows.filter((row) => {
    let text = searchText.get(row);
    if (text === undefined) {
      text = [row.name, row.namespace, ...(row.cells ?? []).map((c) => (typeof c === "object" ? JSON.stringify(c) : c))]
        .join("\u0000").toLowerCase();
      searchText.set(row, text);
    }
    return text.includes(needle);
  });
}
