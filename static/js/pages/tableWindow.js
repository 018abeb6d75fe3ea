/**
 * The windowed mode of a live table (useLiveTable.js), for lists longer than the server's `table_window_rows`: the
 * server sorts and filters (`sort`, `q`), the table is as tall as `meta.total` rows, and only the pages around the
 * view are read — WINDOW_PAGE_SIZE rows each, asked for RANGE_DEBOUNCE_MS after the view stops moving, at most
 * MAX_WINDOW_PAGES kept (the farthest from the view are dropped). Rows not read yet are `undefined` (the table
 * shows placeholders).
 *
 * Live updates: a MODIFIED event for a row that is loaded replaces it at once. ADDED and DELETED, and a MODIFIED
 * that can move a row (the order is not by name or namespace, or a filter is set: labels can change), re-read the
 * pages in view and the total, at most once per REFRESH_INTERVAL_MS (the first change after a quiet second at once).
 */
import { listResourceTable } from "../api/clusters.js";
import { rowKey } from "./resourceColumns.js";

export const WINDOW_PAGE_SIZE = 200;
/** 2,400 rows: dozens of screens around the view, a few MB at most. */
export const MAX_WINDOW_PAGES = 12;
export const RANGE_DEBOUNCE_MS = 80;
export const REFRESH_INTERVAL_MS = 1000;
/** Orders in which no change of an object moves its row. */
const KEY_ORDERS = new Set(["name", "-name", "namespace", "-namespace"]);

/**
 * @typedef {{clusterId: string, resource: string, namespace: string, labelSelector?: string}} WindowTarget
 * @typedef {{sort: string|null, text: string}} WindowQuery `sort`: the API's sort (column id, "-" descending) or
 *   null for the server's order (by name); `text`: the filter needle (lib/tableFilter.js `filterNeedle`)
 */

export class TableWindow {
  /**
   * @param {WindowTarget} target
   * @param {WindowQuery} query
   * @param {{onChange: () => void, onError: (error: any) => void}} handlers `onChange`: rows, total or loading
   *   changed; `onError`: a page could not be read
   */
  constructor(target, query, { onChange, onError }) {
    this.target = target;
    this.query = query;
    this.onChange = onChange;
    this.onError = onError;
    this.total = 0;
    /** @type {any[]|undefined} the server's columns (view=table `columns`), from the latest page */
    this.columns = undefined;
    /** @type {any} the latest page's meta (source, stale, confirmedAt) */
    this.meta = {};
    this.loading = true;
    /** @type {Map<number, any[]>} page index (from 0) → its rows */
    this.pages = new Map();
    /** @type {Map<number, number>} page index → the epoch of the request reading it */
    this.pending = new Map();
    /** Changes when what was read before may be out of date (a new order or filter, a refresh). */
    this.epoch = 0;
    /** The rows the table shows, [first, last) with its overscan. */
    this.range = [0, 1];
    this.controller = new AbortController();
    this.rangeTimer = 0;
    this.refreshTimer = 0;
    this.lastRefresh = 0;
    /** @type {Map<string, number>|null} row key → index in the list, rebuilt when pages change */
    this.index = null;
    /** @type {string[]} `loadedKeys()`, for the index `keysOf` */
    this.keys = [];
    /** @type {Map<string, number>|null} */
    this.keysOf = null;
  }

  /**
   * Use rows already read in this window's order (the first page of the list, from its row 0).
   * @param {any[]} rows
   * @param {any} meta
   */
  seed(rows, meta) {
    for (let start = 0; start < rows.length; start += WINDOW_PAGE_SIZE) {
      this.pages.set(start / WINDOW_PAGE_SIZE, rows.slice(start, start + WINDOW_PAGE_SIZE));
    }
    this.total = meta.total ?? rows.length;
    this.meta = meta;
    this.loading = false;
    this.index = null;
    this.evict();
    this.onChange();
  }

  /**
   * A new order or filter: everything is read again, from the pages in view.
   * @param {WindowQuery} query
   */
  setQuery(query) {
    if (query.sort === this.query.sort && query.text === this.query.text) return;
    this.query = query;
    this.restart();
  }

  /** Read the pages in view again from scratch (nothing kept). */
  restart() {
    this.epoch += 1;
    this.controller.abort();
    this.controller = new AbortController();
    this.pages.clear();
    this.pending.clear();
    this.index = null;
    this.loading = true;
    this.fetchNeeded();
    this.onChange();
  }

  /**
   * The table shows rows [first, last): read their pages once the view rests.
   * @param {number} first
   * @param {number} last
   */
  setRange(first, last) {
    this.range = [first, Math.max(first + 1, last)];
    window.clearTimeout(this.rangeTimer);
    this.rangeTimer = window.setTimeout(() => this.fetchNeeded(), RANGE_DEBOUNCE_MS);
  }

  /** @returns {number[]} the indexes of the pages the view needs */
  neededPages() {
    const [first, last] = this.range;
    const lastPage = Math.max(0, Math.ceil(this.total / WINDOW_PAGE_SIZE) - 1);
    const from = Math.min(Math.floor(first / WINDOW_PAGE_SIZE), lastPage);
    const to = Math.min(Math.floor((last - 1) / WINDOW_PAGE_SIZE), lastPage);
    const pages = [];
    for (let page = from; page <= to; page++) pages.push(page);
    return pages;
  }

  /** Ask for the needed pages not read yet (with `again`, those read already too). */
  fetchNeeded({ again = false } = {}) {
    for (const page of this.neededPages()) {
      if ((!again && this.pages.has(page)) || this.pending.get(page) === this.epoch) continue;
      void this.fetchPage(page);
    }
    this.evict();
  }

  /** @param {number} page */
  async fetchPage(page) {
    const { epoch, controller } = this;
    this.pending.set(page, epoch);
    const { clusterId, resource, namespace, labelSelector } = this.target;
    try {
      const { data, meta } = await listResourceTable(clusterId, resource, {
        namespace, labelSelector: labelSelector || undefined, q: this.query.text || undefined,
        sort: this.query.sort ?? undefined, page: page + 1, pageSize: WINDOW_PAGE_SIZE, signal: controller.signal,
      });
      if (epoch !== this.epoch) return;
      this.pages.set(page, data?.rows ?? []);
      this.columns = data?.columns ?? this.columns;
      this.total = meta.total ?? this.total;
      this.meta = meta;
      this.loading = false;
      this.index = null;
      this.evict();
      this.onChange();
    } catch (error) {
      if (controller.signal.aborted || error?.name === "AbortError" || epoch !== this.epoch) return;
      this.loading = false;
      this.onError(error);
    } finally {
      if (this.pending.get(page) === epoch) this.pending.delete(page);
    }
  }

  /** Keep at most MAX_WINDOW_PAGES pages: drop those farthest from the view. */
  evict() {
    if (this.pages.size <= MAX_WINDOW_PAGES) return;
    const needed = this.neededPages();
    const middle = (needed[0] + needed[needed.length - 1]) / 2;
    const farthest = [...this.pages.keys()].filter((page) => !needed.includes(page))
      .sort((a, b) => Math.abs(b - middle) - Math.abs(a - middle));
    for (const page of farthest.slice(0, this.pages.size - MAX_WINDOW_PAGES)) this.pages.delete(page);
    this.index = null;
  }

  /**
   * Watch events of the list's kind (`{type, name, namespace, row}`).
   * @param {Array<{type: string, name: string, namespace?: string, row?: any}>} events
   */
  apply(events) {
    const movable = !KEY_ORDERS.has(this.query.sort ?? "name") || Boolean(this.query.text);
    let replaced = false;
    let refresh = false;
    for (const event of events) {
      if (event.type !== "MODIFIED" || !event.row) {
        refresh = true;
        continue;
      }
      const at = this.indexOf(rowKey(event));
      if (at >= 0) {
        const rows = this.pages.get(Math.floor(at / WINDOW_PAGE_SIZE));
        rows[at % WINDOW_PAGE_SIZE] = { ...event.row, name: event.name, namespace: event.namespace ?? event.row.namespace };
        replaced = true;
      }
      if (movable) refresh = true;
    }
    if (replaced) this.onChange();
    if (refresh) this.requestRefresh();
  }

  /** Re-read the pages in view and the total, at most once per REFRESH_INTERVAL_MS. */
  requestRefresh() {
    if (this.refreshTimer) return;
    const wait = Math.max(0, this.lastRefresh + REFRESH_INTERVAL_MS - Date.now());
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = 0;
      this.lastRefresh = Date.now();
      this.epoch += 1;
      // Pages out of view may have shifted: drop them; those in view stay shown until read again.
      const needed = new Set(this.neededPages());
      for (const page of [...this.pages.keys()]) if (!needed.has(page)) this.pages.delete(page);
      this.index = null;
      this.fetchNeeded({ again: true });
    }, wait);
  }

  /**
   * The row at `index` of the whole list, or undefined when its page is not read.
   * @param {number} index
   */
  rowAt(index) {
    return this.pages.get(Math.floor(index / WINDOW_PAGE_SIZE))?.[index % WINDOW_PAGE_SIZE];
  }

  /**
   * The index in the whole list of the loaded row with this key, or -1.
   * @param {string} key
   */
  indexOf(key) {
    if (!this.index) {
      this.index = new Map();
      for (const [page, rows] of this.pages) {
        rows.forEach((row, offset) => this.index.set(rowKey(row), page * WINDOW_PAGE_SIZE + offset));
      }
    }
    return this.index.get(key) ?? -1;
  }

  /**
   * The keys of the rows read (every kept page), sorted: the same array until pages change.
   * @returns {string[]}
   */
  loadedKeys() {
    this.indexOf("");
    if (this.keysOf !== this.index) {
      this.keysOf = this.index;
      this.keys = [...this.index.keys()].sort();
    }
    return this.keys;
  }

  /** Stop reading (the list is gone or read again from scratch). */
  close() {
    this.epoch += 1;
    this.controller.abort();
    window.clearTimeout(this.rangeTimer);
    window.clearTimeout(this.refreshTimer);
  }
}
