/**
 * A live list of one resource kind in one namespace (or all): loads the table view page by page,
 * keeps it current over the shared watch socket, and offers a label selector (applied by the server, to
 * the list and to the watch, and kept in the URL as ?labelSelector=), filter, sort, multi-select batch
 * delete / restart (with a per-item result summary) and a Create button. A list of up to the server's
 * `table_window_rows` is held whole: filtering and sorting run in the browser over the loaded rows, so they are
 * instant at 10k rows; sorting by a column gives the server's `sort` order for it (lib/tableSort.js), and the filter
 * is the server's `q` (lib/tableFilter.js). A longer list is windowed (useLiveTable.js): the server sorts and
 * filters, the table reads the rows around the view (by CPU and memory too: `sort=metrics.cpu`, ..., read again at
 * each round of the metrics sampler). The server's wide (priority 1) columns show with Wide, as
 * `kubectl get -o wide`; a column chooser shows or hides any column; both are remembered per kind in this
 * browser (state/preferences.js). Each row has an actions menu ("⋮", right-click: RowActions.js); Shift-click selects
 * a range of rows; "/" focuses the filter (unless the user is typing somewhere). Actions GET /kinds does not offer
 * (the kind cannot, or the user may not) are not shown.
 */
import { html, cx, useCallback, useEffect, useMemo, useRef, useState } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { formatCount } from "../lib/format.js";
import { kindLabel } from "../lib/kinds.js";
import { batchDelete, batchRestart } from "../api/resources.js";
import { abilities } from "../lib/permissions.js";
import { ALL_NAMESPACES, Link, navigate, paths, updateQuery } from "../router.js";
import { DataTable } from "../components/DataTable.js";
import { useMetricsColumns } from "./metricsColumns.js";
import { BatchDialog } from "../components/BatchDialog.js";
import { Icon } from "../components/Icon.js";
import { ColumnChooser } from "../components/ColumnChooser.js";
import { ToggleButton } from "../components/ToggleButton.js";
import { preferences, setColumnChoice } from "../state/preferences.js";
import { rowKey, tableColumns } from "./resourceColumns.js";
import { FavoriteToggle } from "./FavoriteToggle.js";
import { useLiveTable } from "./useLiveTable.js";
import { serverInfo } from "../state/server.js";
import { filterNeedle, filterRows } from "../lib/tableFilter.js";
import { useRowActions } from "./RowActions.js";

const BATCH_LIMIT = 100; // the batch endpoints take at most 100 items per call
const FILTER_DEBOUNCE_MS = 200;
/** A windowed list asks the server for the filter this long after the last keystroke. */
const SERVER_FILTER_DEBOUNCE_MS = 100;
/** A kind whose columns were never chosen: the default ones (one object, so memoised columns stay the same). */
const NO_CHOICE = {};

/**
 * @param {{clusterId: string, namespace: string, resource: string, kind: object, kinds?: object[],
 *          query: URLSearchParams}} props
 */
export function ResourceListPage({ clusterId, namespace, resource, kind, kinds, query }) {
  const apiNamespace = kind.namespaced === false || namespace === ALL_NAMESPACES ? "" : namespace;
  const [filter, setFilter] = useState(query.get("q") ?? "");
  const filterRef = useRef(null);
  const labelSelector = query.get("labelSelector") ?? "";
  const [selectorDraft, setSelectorDraft] = useState(labelSelector);
  const [selected, setSelected] = useState(() => new Set());
  const [batch, setBatch] = useState(null); // {action: "delete"|"restart", items} | null
  const title = kindLabel(kind, kinds);
  const windowRows = useStore(serverInfo, (info) => info.tableWindowRows);
  const [serverFilter, setServerFilter] = useState(filter);
  // The columns shown that the server can sort by (known from the last render that had them).
  const [serverSortable, setServerSortable] = useState("");
  const sortParam = query.get("sort") ?? "name";
  const sortKey = sortParam.replace(/^-/, "");
  const list = useLiveTable({
    clusterId, resource, namespace: apiNamespace, labelSelector, errorTitle: `Could not list ${title.toLowerCase()}`,
    windowRows, sort: serverSortable.split(" ").includes(sortKey) ? sortParam : null, text: filterNeedle(serverFilter),
  });
  const windowed = list.window !== null;

  const rowActions = useRowActions({
    clusterId, resource, kind, kinds, onChanged: () => list.live !== "open" && list.reload(),
  });
  useSlashFocuses(filterRef);

  // A new list (reload, resync, other target) starts with nothing selected.
  useEffect(() => setSelected(new Set()), [list.loadId]);

  // The selector applies on Enter or when the field loses focus (each change re-lists and re-subscribes).
  useEffect(() => setSelectorDraft(labelSelector), [labelSelector]);
  const applySelector = (value) => updateQuery({ labelSelector: value.trim() || null });
  const selectorInvalid = Boolean(labelSelector && list.error?.code === 40002);

  // Keep ?q= in the URL (shareable) without a history entry per keystroke; a windowed list asks the server sooner.
  useEffect(() => {
    const soon = setTimeout(() => setServerFilter(filter), SERVER_FILTER_DEBOUNCE_MS);
    const timer = setTimeout(() => updateQuery({ q: filter || null }), FILTER_DEBOUNCE_MS);
    return () => {
      clearTimeout(soon);
      clearTimeout(timer);
    };
  }, [filter]);

  const allRows = list.rows;
  const rows = useMemo(() => (windowed ? allRows : filterRows(allRows, filter)), [allRows, filter, windowed]);
  const showNamespace = kind.namespaced !== false && (apiNamespace === "" || apiNamespace.includes(","));
  // The CPU and memory values asked for: a windowed list's held rows, a whole list's all (none before it knows).
  const metricKeys = useMemo(() => (list.mode === "windowed" ? list.window?.loadedKeys() ?? []
    : list.mode === "whole" ? null : undefined), [list.mode, list.window, list.version]);
  const metrics = useMetricsColumns({ clusterId, kind, resource, namespace: apiNamespace, rowKeys: metricKeys });
  const allColumns = useMemo(
    () => [...tableColumns(list.columns, { clusterId, resource, showNamespace }), ...metrics.columns],
    [list.columns, clusterId, resource, showNamespace, metrics.columns],
  );
  const choice = useStore(preferences, (prefs) => prefs.tableColumns)?.[resource] ?? NO_CHOICE;
  const shown = (column) => column.key === "name" || (choice.shown?.[column.key] ?? (column.priority === 0 || Boolean(choice.wide)));
  const columns = useMemo(() => allColumns.filter(shown), [allColumns, choice]);
  const sortableKeys = columns.filter((c) => c.sortable !== false).map((c) => c.key).join(" ");
  useEffect(() => setServerSortable(sortableKeys), [sortableKeys]);
  // A windowed list sorted by CPU or memory: the server's order changes with each sampler round.
  const metricSorted = windowed && sortKey.startsWith("metrics.");
  useEffect(() => {
    if (metricSorted && metrics.sampledAt) list.window?.requestRefresh();
  }, [metricSorted, metrics.sampledAt]);
  const onRange = useCallback((first, last) => list.window?.setRange(first, last), [list.window]);
  const windowedRows = useMemo(() => list.window && {
    total: list.window.total, rowAt: (index) => list.window.rowAt(index), indexOf: (key) => list.window.indexOf(key), onRange,
  }, [list.window, list.version, onRange]);
  const setWide = (wide) => setColumnChoice(resource, { ...choice, wide });
  const toggleColumn = (key, on) => setColumnChoice(resource, { ...choice, shown: { ...choice.shown, [key]: on } });

  // Sort by a column that is not shown (hidden since, or not this kind's): by name instead.
  const sort = columns.some((c) => c.key === sortKey && c.sortable !== false)
    ? { key: sortKey, dir: sortParam.startsWith("-") ? "desc" : "asc" } : { key: "name", dir: "asc" };
  const can = abilities(kind);
  const selectable = can.delete || can.restart;

  const onSortChange = (next) => updateQuery({ sort: `${next.dir === "desc" ? "-" : ""}${next.key}` });
  const openRow = (row) => navigate(paths.detail(clusterId, row.namespace, resource, row.name));
  // A windowed list has not read every selected row: its keys (namespace/name) name the objects.
  const selectedRows = windowed ? [...selected].map(objectOfKey) : allRows.filter((row) => selected.has(rowKey(row)));

  // The objects are fixed when the dialog opens, so live updates cannot change what is confirmed.
  const openBatch = (action) => setBatch({
    action, items: selectedRows.map((row) => ({ namespace: row.namespace || undefined, name: row.name })),
  });
  const batchItems = batch?.items ?? [];
  const runBatch = async () => {
    const call = batch.action === "restart"
      ? (chunk) => batchRestart(clusterId, chunk.map((item) => ({ kind: resource, ...item })))
      : (chunk) => batchDelete(clusterId, chunk.map((item) => ({ resource, ...item })));
    const results = [];
    for (let i = 0; i < batchItems.length; i += BATCH_LIMIT) {
      results.push(...((await call(batchItems.slice(i, i + BATCH_LIMIT))) ?? []));
    }
    return results;
  };
  const closeBatch = (results) => {
    if (results) {
      // Keep the failed objects selected so the user can retry or inspect them.
      setSelected(new Set(results.filter((r) => r.code !== 0).map(rowKey)));
      if (list.live !== "open") list.reload();
    }
    setBatch(null);
  };

  return html`<div class="page page-list">
    <div class="page-header">
      <div class="page-heading">
        <h1 class="page-title">${title}</h1>
        <span class="count-badge" title=${windowed ? "Items in the list (read around the view)" : "Items loaded"}>${windowed
          ? formatCount(list.total) : `${formatCount(allRows.length)}${list.partial ? ` / ${formatCount(list.total)}` : ""}`}</span>
        <${LiveIndicator} state=${list.live} freshness=${list.freshness} />
        <${SourceHint} meta=${list.freshness} />
        <${FavoriteToggle} path=${paths.list(clusterId, namespace, resource)} cluster=${clusterId} resource=${resource}
          namespace=${apiNamespace || undefined}
          title=${`${title}${kind.namespaced === false ? "" : apiNamespace ? ` · ${apiNamespace}` : " · all namespaces"}`} />
      </div>
      ${can.create && html`<div class="page-actions">
        <${Link} class="button button-primary" href=${createHref(clusterId, resource, apiNamespace)}>
          <${Icon} name="plus" size=${14} /> Create
        </${Link}>
      </div>`}
      <div class="page-subtitle">
        ${kind.namespaced === false ? "Cluster-scoped" : apiNamespace.includes(",")
          ? html`Namespaces <strong>${apiNamespace.split(",").join(", ")}</strong>`
          : apiNamespace ? html`Namespace <strong>${apiNamespace}</strong>` : "All namespaces"}
        ${kind.group ? html` · <span class="mono">${kind.group}/${kind.version}</span>` : ""}
      </div>
    </div>
    <div class="toolbar">
      <label class="search-field">
        <${Icon} name="search" size=${15} />
        <input type="search" ref=${filterRef} placeholder=${`Filter ${title.toLowerCase()} by name, namespace or label`}
          value=${filter} aria-label="Filter rows" aria-keyshortcuts="/" title="Filter rows (/)"
          onInput=${(e) => setFilter(e.currentTarget.value)} />
      </label>
      <label class=${cx("search-field", "selector-field", selectorInvalid && "has-error")}>
        <${Icon} name="tag" size=${15} />
        <input type="search" placeholder="Label selector, e.g. app=web,tier!=db" value=${selectorDraft}
          aria-label="Label selector" aria-invalid=${selectorInvalid ? "true" : "false"} spellcheck="false"
          onInput=${(e) => setSelectorDraft(e.currentTarget.value)}
          onKeyDown=${(e) => e.key === "Enter" && applySelector(e.currentTarget.value)}
          onBlur=${(e) => applySelector(e.currentTarget.value)} onSearch=${(e) => applySelector(e.currentTarget.value)} />
      </label>
      ${filter && html`<span class="toolbar-note">${formatCount(windowed ? list.total : rows.length)} match${(windowed ? list.total : rows.length) === 1 ? "" : "es"}</span>`}
      ${metrics.reason && html`<span class="toolbar-note" title=${metrics.reason}>No CPU and memory columns: ${metrics.reason}</span>`}
      <div class="toolbar-spacer"></div>
      ${allColumns.some((c) => c.priority > 0) && html`<${ToggleButton} label="Wide" pressed=${Boolean(choice.wide)}
        onChange=${setWide} title="Show the wide columns (kubectl get -o wide)" />`}
      <${ColumnChooser} columns=${allColumns.map((c) => ({ key: c.key, label: c.label, shown: shown(c), locked: c.key === "name", wide: c.priority > 0 }))}
        onToggle=${toggleColumn} onReset=${() => setColumnChoice(resource, null)}
        customized=${Boolean(choice.wide || Object.keys(choice.shown ?? {}).length)} />
      ${selected.size > 0 && html`<div class="selection-bar" role="status">
        <span><strong>${formatCount(selected.size)}</strong> selected</span>
        <button type="button" class="button button-ghost" onClick=${() => setSelected(new Set())}>Clear</button>
        ${can.restart && html`<button type="button" class="button" onClick=${() => openBatch("restart")}>
          <${Icon} name="restart" size=${14} /> Restart
        </button>`}
        ${can.delete && html`<button type="button" class="button button-danger" onClick=${() => openBatch("delete")}>
          <${Icon} name="trash" size=${14} /> Delete
        </button>`}
      </div>`}
      <button type="button" class="button" onClick=${list.reload} title="Reload the list">
        <${Icon} name="refresh" size=${14} /> Refresh
      </button>
    </div>
    <div class="table-region">
      <${DataTable} virtual label=${title} columns=${columns} rows=${rows} rowKey=${rowKey}
        loading=${list.loading} error=${list.error} onRetry=${list.reload}
        errorTitle=${selectorInvalid ? "Invalid label selector" : `Could not list ${title.toLowerCase()}`}
        empty=${filter ? `No ${title.toLowerCase()} match “${filter}”.`
          : labelSelector ? `No ${title.toLowerCase()} match the label selector “${labelSelector}”.` : `No ${title.toLowerCase()} found.`}
        sort=${sort} onSortChange=${onSortChange} selectable=${selectable} selected=${selected} onSelectionChange=${setSelected}
        onRowActivate=${openRow} activateOnClick onRowMenu=${rowActions?.open} rowMenuLabel=${(row) => `Actions for ${row.name}`}
        windowed=${windowedRows} />
    </div>
    ${rowActions?.element}
    <${BatchDialog} open=${batch !== null} items=${batchItems} run=${runBatch} onClose=${closeBatch}
      danger=${batch?.action === "delete"} verb=${batch?.action === "restart" ? "Restart" : "Delete"}
      title=${`${batch?.action === "restart" ? "Restart" : "Delete"} ${batchItems.length} ${batchItems.length === 1 ? kind.kind : title}`}
      note=${batch?.action === "restart"
        ? "Each workload rolls its pods, like kubectl rollout restart. Pods are replaced gradually according to the update strategy."
        : "These objects are deleted from the cluster (background propagation). This cannot be undone."} />
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

/** Where the rows came from: the informer cache or the API server, and whether the cache is stale. */
function SourceHint({ meta }) {
  if (meta.stale) {
    return html`<span class="chip chip-warn" role="status" title="The cache lost its watch on the API server and has not caught up yet">
      <${Icon} name="alert" size=${12} /> Cache stale — data may be out of date</span>`;
  }
  if (meta.unreachable) return null; // the live indicator says so
  if (meta.source === "cache") return html`<span class="source-hint" title="Served from KubeVision's in-sync watch cache">cached</span>`;
  if (meta.source === "apiserver") return html`<span class="source-hint" title="Read directly from the Kubernetes API server">direct</span>`;
  return null;
}

function createHref(clusterId, resource, namespace) {
  // A new object goes to one namespace: the list's, when it shows just one.
  const query = new URLSearchParams({ resource, ...(namespace && !namespace.includes(",") ? { namespace } : {}) });
  return `${paths.create(clusterId)}?${query}`;
}

/**
 * The list's live state: the watch socket's state, overridden by what the server says about its cache —
 * "Stale" once the cache was not confirmed in sync for its TTL, "Unreachable" when the cluster cannot be
 * read — with the time of the last confirmation.
 */
function LiveIndicator({ state, freshness }) {
  let [label, tone, title] = LIVE_LABELS[state] ?? LIVE_LABELS.connecting;
  if (state === "open" && freshness.unreachable) {
    [label, tone, title] = ["Unreachable", "error", "The cluster's API server cannot be reached; retrying"];
  } else if (state === "open" && freshness.stale) {
    [label, tone, title] = ["Stale", "warn", "KubeVision lost its watch on the API server and is reconnecting"];
  }
  const confirmed = freshness.confirmedAt ? new Date(freshness.confirmedAt) : null;
  const degraded = label !== "Live" && confirmed;
  return html`<span class=${cx("live", tone && `live-${tone}`)}
    title=${confirmed ? `${title}. Last confirmed in sync ${confirmed.toLocaleString()}` : title}>
    <span class="live-dot"></span>${label}${degraded && html`<span class="live-since"> · confirmed ${confirmed.toLocaleTimeString()}</span>`}</span>`;
}

/** Where "/" is typed, not a shortcut: fields, editors, terminals, open dialogs and menus. */
const TYPING_TARGETS = "input, textarea, select, [contenteditable], .cm-editor, .xterm, dialog, [role=menu]";

/** "/" anywhere on the page (but where the user types) focuses and selects the field behind `ref`. */
function useSlashFocuses(ref) {
  useEffect(() => {
    const onKey = (event) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (event.target instanceof Element && event.target.closest(TYPING_TARGETS)) return;
      event.preventDefault();
      ref.current?.focus();
      ref.current?.select();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}

/**
 * The object a row key (resourceColumns.js `rowKey`: "namespace/name", "/name" cluster-scoped) names.
 * @param {string} key
 */
function objectOfKey(key) {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash) || undefined, name: key.slice(slash + 1) };
}
