/**
 * A virtualized, sortable, selectable table for large live lists (10,000+ rows).
 *
 * Only the rows in view (plus a small overscan) exist in the DOM: each is absolutely positioned
 * with a translateY inside a spacer as tall as all rows, so scrolling cost does not grow with the
 * list. Rows have a fixed height, which keeps the maths exact and the scrollbar honest.
 * Header and rows share one CSS grid template (a CSS custom property set from JS — allowed by the
 * CSP, unlike style attributes), so columns always line up.
 *
 * Columns are sized to their content: once the first rows are shown, each column's width is the widest of its
 * header and those rendered cells (measured at max-content before the browser paints, between
 * FITTED_MIN_PX and FITTED_MAX_PX), and spare width goes to the columns that `grow`. The widths are then kept
 * while the list scrolls, filters or changes live (a later, longer value is cut with an ellipsis); they are
 * measured again only when the set of columns changes. Until then a column has its `minWidth`.
 *
 * Selection: a checkbox toggles a row; Shift-click (on a checkbox or a row) selects the range from the row
 * toggled last, like a file manager.
 *
 * Row menu (`onRowMenu`): a "⋮" button at the end of each row, a right-click on the row, or the ContextMenu
 * key / Shift+F10 on the active row ask the page to open its menu for that row (at a viewport point).
 *
 * Windowed (`windowed`): the rows are not all here. The list has `windowed.total` rows, `windowed.rowAt(index)` gives
 * one (undefined: not read yet, shown as a placeholder row), already in order (the server sorted them: `sort` only
 * marks the header) and `windowed.onRange(first, last)` hears which rows the view shows (overscan included). The
 * header's select-all box is left out (it cannot select rows that are not read).
 *
 * Keyboard: the body is one tab stop; ↑/↓/PgUp/PgDn/Home/End move the active row, Space toggles
 * its selection (Shift+Space: the range), Enter activates it (opens the object).
 */
import { html, cx, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useId } from "../lib/ui.js";
import { compareKeys, sortKey } from "../lib/format.js";
import { compareSortKeys } from "../lib/tableSort.js";
import { Icon } from "./Icon.js";

const CHECKBOX_WIDTH_PX = 40;
const ROW_MENU_WIDTH_PX = 40;
/** Bounds of a column's width fitted to its content, px. */
const FITTED_MIN_PX = 56;
const FITTED_MAX_PX = 420;

/**
 * @typedef {object} Column
 * @property {string} key stable id (used for sorting)
 * @property {string} label header text
 * @property {number} [minWidth] px, default 100
 * @property {number} [grow] share of spare width, default 1 (0 = fixed)
 * @property {"left"|"right"} [align]
 * @property {string} [className] extra class on the column's cells
 * @property {boolean} [sortable] default true
 * @property {(row: any) => any} value raw value (sorting, default text)
 * @property {(row: any) => any} [render] cell content; defaults to the value as text
 * @property {(row: any, now: number) => Array<number|string>} [sortKey] the row's key when sorting by this column
 *   (lib/tableSort.js `columnSortKey`, compared with `compareSortKeys`; `now` is one instant per sort); without it
 *   the value's generic `sortKey` (lib/format.js)
 * @property {(row: any) => boolean} [hasValue] when set, rows for which it is false sort after the others in both
 *   directions (as the server's `metrics.*` sorts)
 */

/**
 * @typedef {object} WindowedRows
 * @property {number} total rows in the whole list
 * @property {(index: number) => any} rowAt the row at `index`, or undefined while it is not read
 * @property {(key: string) => number} indexOf the index of the read row with this key, or -1
 * @property {(first: number, last: number) => void} onRange the view shows rows [first, last)
 */

/**
 * @param {{
 *   columns: Column[], rows: any[], rowKey: (row: any) => string,
 *   rowHeight?: number, overscan?: number, label?: string,
 *   sort?: {key: string, dir: "asc"|"desc"} | null, onSortChange?: (sort: {key: string, dir: string}) => void,
 *   selectable?: boolean, selected?: Set<string>, onSelectionChange?: (keys: Set<string>) => void,
 *   onRowActivate?: (row: any) => void, activateOnClick?: boolean, empty?: any, footer?: any,
 *   onRowMenu?: (row: any, place: RowMenuPlace) => void, rowMenuLabel?: (row: any) => string,
 *   windowed?: WindowedRows | null,
 * }} props
 *   `activateOnClick` opens a row on a plain single click (not on links, buttons, checkboxes,
 *   modified clicks or text selection); otherwise a double click does. `onRowMenu` adds the row menu's "⋮"
 *   column (`rowMenuLabel` names its button, "Actions for <key>" by default).
 */
export function VirtualTable({
  columns, rows, rowKey, rowHeight = 32, overscan = 10, label = "Table",
  sort = null, onSortChange, selectable = false, selected = EMPTY_SET, onSelectionChange,
  onRowActivate, activateOnClick = false, empty = "No items", onRowMenu, rowMenuLabel, windowed = null,
}) {
  const rootRef = useRef(null);
  const scrollRef = useRef(null);
  const headerRef = useRef(null);
  const lastClicked = useRef(null);
  const frame = useRef(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [headerHeight, setHeaderHeight] = useState(rowHeight);
  const [active, setActive] = useState(-1);
  const idBase = useId();

  const sorted = useMemo(() => (windowed ? rows : sortRows(rows, columns, sort)), [rows, columns, sort, windowed]);
  const count = windowed ? windowed.total : sorted.length;
  /** @type {(index: number) => any} */
  const rowAt = windowed ? windowed.rowAt : (index) => sorted[index];

  useLayoutEffect(() => {
    const element = scrollRef.current;
    const measure = () => {
      setViewport(element.clientHeight);
      setHeaderHeight(headerRef.current?.offsetHeight || rowHeight);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [rowHeight]);

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  // If the list shrinks (filter, deletions), keep the active row and scroll position valid.
  useEffect(() => {
    if (active >= count) setActive(count - 1);
  }, [count]);

  const onScroll = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => setScrollTop(scrollRef.current?.scrollTop ?? 0));
  }, []);

  const bodyViewport = Math.max(0, viewport - headerHeight);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + bodyViewport) / rowHeight) + overscan);
  const visible = windowed ? Array.from({ length: Math.max(0, last - first) }, (_, i) => rowAt(first + i))
    : sorted.slice(first, last);
  const anyShown = visible.some(Boolean);

  useEffect(() => windowed?.onRange(first, last), [windowed?.onRange, first, last]);

  // Column widths fitted to the first rows shown, for this set of columns (see the module comment).
  const [fitted, setFitted] = useState(/** @type {{signature: string, widths: number[]}|null} */ (null));
  const signature = [label, ...columns.map((c) => c.key)].join("\u0000");
  const widths = fitted?.signature === signature ? fitted.widths : columns.map((c) => c.minWidth ?? 100);
  const leadingTracks = selectable ? [`${CHECKBOX_WIDTH_PX}px`] : [];
  const template = [
    ...leadingTracks,
    ...columns.map((c, i) => ((c.grow ?? 1) > 0 ? `minmax(${widths[i]}px, ${c.grow ?? 1}fr)` : `${widths[i]}px`)),
    ...(onRowMenu ? [`${ROW_MENU_WIDTH_PX}px`] : []),
  ].join(" ");
  const minWidth = widths.reduce((sum, w) => sum + w, (selectable ? CHECKBOX_WIDTH_PX : 0) + (onRowMenu ? ROW_MENU_WIDTH_PX : 0));

  useLayoutEffect(() => {
    if (!anyShown || fitted?.signature === signature) return;
    setFitted({ signature, widths: fitContent(rootRef.current, columns, leadingTracks) });
  }, [signature, anyShown]);

  const scrollToIndex = (index) => {
    const element = scrollRef.current;
    const top = index * rowHeight;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + rowHeight > element.scrollTop + bodyViewport) element.scrollTop = top + rowHeight - bodyViewport;
  };

  const toggle = (key, checked) => {
    const next = new Set(selected);
    if (checked) next.add(key);
    else next.delete(key);
    onSelectionChange?.(next);
  };

  /** Select (or, `checked` false, deselect) row `index`; with `range`, every row from the one toggled last to it. */
  const selectRow = (index, checked, range) => {
    const key = rowKey(rowAt(index));
    // The anchor is a key, not an index: live changes and re-sorts move rows between two clicks.
    const anchor = range && lastClicked.current !== null ? indexOfKey(lastClicked.current) : -1;
    if (anchor >= 0) {
      const next = new Set(selected);
      for (let i = Math.min(anchor, index); i <= Math.max(anchor, index); i++) {
        const row = rowAt(i);
        if (row === undefined) continue; // not read (windowed)
        if (checked) next.add(rowKey(row));
        else next.delete(rowKey(row));
      }
      onSelectionChange?.(next);
    } else {
      toggle(key, checked);
    }
    lastClicked.current = key;
    setActive(index);
  };
  /** @param {string} key */
  const indexOfKey = (key) => (windowed ? windowed.indexOf(key) : sorted.findIndex((row) => rowKey(row) === key));
  // A click, not a change event: only the click knows whether Shift was held.
  const onRowCheckbox = (event, index) => selectRow(index, event.currentTarget.checked, event.shiftKey);

  const openRowMenu = (row, place) => onRowMenu?.(row, place);
  /** The menu of the active row, from the keyboard: under its "⋮" button (or the row's start). */
  const openActiveRowMenu = () => {
    const line = scrollRef.current.querySelector(`#${CSS.escape(rowId(active))}`);
    const box = (line?.querySelector(".vt-menu-button") ?? line)?.getBoundingClientRect();
    if (box && rowAt(active)) openRowMenu(rowAt(active), { at: { x: box.left, y: box.bottom }, opener: scrollRef.current });
  };

  const allSelected = !windowed && sorted.length > 0 && sorted.every((row) => selected.has(rowKey(row)));
  const someSelected = !windowed && !allSelected && sorted.some((row) => selected.has(rowKey(row)));
  const onSelectAll = (event) => {
    onSelectionChange?.(event.currentTarget.checked ? new Set(sorted.map(rowKey)) : new Set());
  };

  const onKeyDown = (event) => {
    if (event.target !== scrollRef.current || count === 0) return;
    const page = Math.max(1, Math.floor(bodyViewport / rowHeight) - 1);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    let next = active;
    const activeRow = active >= 0 ? rowAt(active) : undefined;
    if (event.key in moves) next = clamp((active < 0 ? -1 : active) + moves[event.key], 0, count - 1);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = count - 1;
    else if (event.key === " " && activeRow && selectable) {
      selectRow(active, !selected.has(rowKey(activeRow)), event.shiftKey);
    } else if (event.key === "Enter" && activeRow) onRowActivate?.(activeRow);
    else if ((event.key === "ContextMenu" || (event.key === "F10" && event.shiftKey)) && active >= 0 && onRowMenu) {
      openActiveRowMenu();
    } else return;
    event.preventDefault();
    if (next !== active) {
      setActive(next);
      scrollToIndex(next);
    }
  };

  const onHeaderClick = (column) => {
    if (column.sortable === false || !onSortChange) return;
    const dir = sort?.key === column.key && sort.dir === "asc" ? "desc" : "asc";
    onSortChange({ key: column.key, dir });
  };

  const onRowClick = (event, index, row) => {
    setActive(index);
    if (selectable && event.shiftKey && !event.target.closest?.("a, button, input, label, select, textarea")) {
      selectRow(index, true, true);
      return;
    }
    if (!activateOnClick || !onRowActivate) return;
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (event.target.closest?.("a, button, input, label, select, textarea")) return;
    if (String(window.getSelection?.() ?? "").length > 0) return; // the user is selecting text to copy
    onRowActivate(row);
  };

  const rowId = (index) => `${idBase}-row-${index}`;

  return html`<div class="vt" ref=${rootRef} role="grid" aria-label=${label} aria-rowcount=${count + 1}
      aria-multiselectable=${selectable ? "true" : undefined}
      style=${{ "--vt-cols": template, "--vt-row-h": `${rowHeight}px`, "--vt-min-w": `${minWidth}px` }}>
    <div class="vt-scroll" ref=${scrollRef} onScroll=${onScroll} tabindex="0" onKeyDown=${onKeyDown}
        aria-activedescendant=${active >= first && active < last ? rowId(active) : undefined}>
      <div class="vt-header" role="row" aria-rowindex="1" ref=${headerRef}>
        ${selectable && html`<div class="vt-cell vt-check" role="columnheader">
          ${!windowed && html`<${Checkbox} checked=${allSelected} indeterminate=${someSelected} onChange=${onSelectAll} focusable
            label=${allSelected ? "Deselect all rows" : "Select all rows"} />`}
        </div>`}
        ${columns.map((column) => {
          const sortedBy = sort?.key === column.key ? sort.dir : null;
          const sortable = column.sortable !== false && onSortChange;
          return html`<div key=${column.key} role="columnheader"
              class=${cx("vt-cell", "vt-head", column.align === "right" && "align-right")}
              aria-sort=${sortedBy === "asc" ? "ascending" : sortedBy === "desc" ? "descending" : "none"}>
            ${sortable
              ? html`<button type="button" class=${cx("vt-sort", sortedBy && "is-sorted")} onClick=${() => onHeaderClick(column)}>
                  <span>${column.label}</span>
                  <${Icon} name="chevronDown" size=${12}
                    class=${cx("vt-sort-icon", sortedBy === "asc" && "is-asc", !sortedBy && "is-idle")} />
                </button>`
              : html`<span class="vt-head-label">${column.label}</span>`}
          </div>`;
        })}
        ${onRowMenu && html`<div class="vt-cell vt-menu" role="columnheader"><span class="visually-hidden">Actions</span></div>`}
      </div>
      <div class="vt-body" role="rowgroup" style=${{ height: `${count * rowHeight}px` }}>
        ${count === 0 && html`<div class="vt-empty">${empty}</div>`}
        ${visible.map((row, offset) => {
          const index = first + offset;
          if (row === undefined) return html`<${PlaceholderRow} key=${`placeholder-${index}`} index=${index} rowHeight=${rowHeight} />`;
          const key = rowKey(row);
          const isSelected = selected.has(key);
          return html`<div key=${key} id=${rowId(index)} role="row" aria-rowindex=${index + 2}
              aria-selected=${selectable ? String(isSelected) : undefined}
              class=${cx("vt-row", activateOnClick && "is-clickable", index % 2 === 1 && "is-odd", isSelected && "is-selected", index === active && "is-active")}
              style=${{ transform: `translateY(${index * rowHeight}px)` }}
              onClick=${(event) => onRowClick(event, index, row)} onDblClick=${() => !activateOnClick && onRowActivate?.(row)}
              onMouseDown=${(event) => selectable && event.shiftKey && event.preventDefault() /* no text selection */}
              onContextMenu=${onRowMenu && ((event) => {
                event.preventDefault();
                setActive(index);
                openRowMenu(row, { at: { x: event.clientX, y: event.clientY }, opener: scrollRef.current });
              })}>
            ${selectable && html`<div class="vt-cell vt-check" role="gridcell">
              <${Checkbox} checked=${isSelected} onClick=${(e) => onRowCheckbox(e, index)} label=${`Select ${key}`} />
            </div>`}
            ${columns.map((column) => html`<div key=${column.key} role="gridcell"
                class=${cx("vt-cell", column.align === "right" && "align-right", column.className)}>
              ${column.render ? column.render(row) : formatCell(column.value(row))}
            </div>`)}
            ${onRowMenu && html`<div class="vt-cell vt-menu" role="gridcell">
              <button type="button" class="vt-menu-button" tabindex="-1" aria-haspopup="menu"
                  aria-label=${rowMenuLabel?.(row) ?? `Actions for ${key}`}
                  onClick=${(event) => {
                    const box = event.currentTarget.getBoundingClientRect();
                    setActive(index);
                    openRowMenu(row, { at: { x: box.left, y: box.bottom }, opener: event.currentTarget });
                  }}>
                <${Icon} name="moreVertical" size=${16} />
              </button>
            </div>`}
          </div>`;
        })}
      </div>
    </div>
  </div>`;
}

const EMPTY_SET = new Set();

/**
 * A row of a windowed list that is not read yet: its place in the list, "Loading…" for screen readers.
 * @param {{index: number, rowHeight: number}} props
 */
function PlaceholderRow({ index, rowHeight }) {
  return html`<div role="row" aria-rowindex=${index + 2} aria-busy="true" class=${cx("vt-row", "is-placeholder", index % 2 === 1 && "is-odd")}
      style=${{ transform: `translateY(${index * rowHeight}px)` }}>
    <div class="vt-cell vt-placeholder" role="gridcell"><span class="visually-hidden">Loading…</span></div>
  </div>`;
}

/**
 * A selection checkbox; its clicks stay off the row (no activation). `onClick` gets the click (Shift included).
 * @param {{checked: boolean, indeterminate?: boolean, onChange?: (event: any) => void, onClick?: (event: any) => void,
 *          label: string, focusable?: boolean}} props
 */
function Checkbox({ checked, indeterminate = false, onChange, onClick, label, focusable = false }) {
  const ref = useRef(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = indeterminate;
  }, [indeterminate]);
  return html`<input ref=${ref} type="checkbox" class="checkbox" checked=${checked} onChange=${onChange}
    onClick=${(e) => { e.stopPropagation(); onClick?.(e); }} aria-label=${label} tabindex=${focusable ? undefined : "-1"} />`;
}

/**
 * @typedef {{at: {x: number, y: number}, opener: Element}} RowMenuPlace
 *   where to open a row's menu (a viewport point) and the element that asked (it gets the focus back)
 */

/**
 * The widths of `columns` fitted to what the table shows now: every data column is laid out at max-content for
 * one synchronous measurement (before the browser paints), and each width is its widest header or row cell,
 * within FITTED_MIN_PX..FITTED_MAX_PX.
 * @param {HTMLElement} root the table (.vt) element
 * @param {Column[]} columns
 * @param {string[]} leadingTracks the tracks before the data columns (the selection checkboxes')
 */
function fitContent(root, columns, leadingTracks) {
  const shown = root.style.getPropertyValue("--vt-cols");
  root.style.setProperty("--vt-cols", [...leadingTracks, ...columns.map(() => "max-content")].join(" "));
  const widths = columns.map(() => FITTED_MIN_PX);
  for (const line of root.querySelectorAll(".vt-header, .vt-row")) {
    const cells = line.children;
    for (let i = 0; i < columns.length; i++) {
      const cell = cells[leadingTracks.length + i];
      if (cell) widths[i] = Math.max(widths[i], Math.ceil(cell.getBoundingClientRect().width));
    }
  }
  root.style.setProperty("--vt-cols", shown);
  return widths.map((width) => Math.min(FITTED_MAX_PX, width));
}

/** A cell's value as text: "—" when empty, arrays joined, objects as JSON. */
export function formatCell(value) {
  if (value === null || value === undefined || value === "") return html`<span class="muted">—</span>`;
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function sortRows(rows, columns, sort) {
  if (!sort) return rows;
  const column = columns.find((c) => c.key === sort.key);
  if (!column) return rows;
  const factor = sort.dir === "desc" ? -1 : 1;
  const now = Date.now();
  const [key, compare] = column.sortKey
    ? [(row) => column.sortKey(row, now), compareSortKeys]
    : [(row) => sortKey(column.value(row)), compareKeys];
  const valueless = column.hasValue ? (row) => (column.hasValue(row) ? 0 : 1) : () => 0;
  // Decorate once so a 10k-row sort computes each key a single time.
  return rows
    .map((row, index) => ({ row, index, key: key(row), last: valueless(row) }))
    .sort((a, b) => a.last - b.last || compare(a.key, b.key) * factor || a.index - b.index)
    .map((entry) => entry.row);
}

function clamp(value, min, max) {
  return Math.min(max, Math.max(min, value));
}
