/**
 * The Cmd/Ctrl+K palette: a search box over a list of items with keyboard navigation
 * (↑/↓ move, Enter opens, Escape closes). The caller supplies the items (search results or recent
 * items) and does the searching; this component only presents them.
 */
import { html, cx, useEffect, useId, useRef, useState } from "../lib/ui.js";
import { Icon } from "./Icon.js";
import { Spinner } from "./Spinner.js";
import { StatusBadge } from "./StatusBadge.js";

/**
 * @typedef {{key: string, title: string, kind: string, namespace?: string, status?: string, hint?: string}} PaletteItem
 * @param {{open: boolean, query: string, onQuery: (q: string) => void, items: PaletteItem[], heading: string,
 *          loading?: boolean, emptyText: string, onPick: (item: PaletteItem) => void, onClose: () => void}} props
 */
export function CommandPalette({ open, query, onQuery, items, heading, loading = false, emptyText, onPick, onClose }) {
  const dialogRef = useRef(null);
  const inputRef = useRef(null);
  const listRef = useRef(null);
  const [active, setActive] = useState(0);
  const id = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    if (open && !dialog.open) {
      dialog.showModal();
      inputRef.current?.focus();
      inputRef.current?.select();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);
  useEffect(() => setActive(0), [items]);
  useEffect(() => {
    listRef.current?.querySelector(".palette-item.is-active")?.scrollIntoView({ block: "nearest" });
  }, [active]);

  const onKeyDown = (event) => {
    if (event.key === "ArrowDown") setActive((i) => Math.min(items.length - 1, i + 1));
    else if (event.key === "ArrowUp") setActive((i) => Math.max(0, i - 1));
    else if (event.key === "Enter") {
      if (items[active]) onPick(items[active]);
    } else return;
    event.preventDefault();
  };

  return html`<dialog ref=${dialogRef} class="dialog palette" aria-label="Search"
      onCancel=${(e) => { e.preventDefault(); onClose(); }} onClick=${(e) => e.target === dialogRef.current && onClose()}>
    <div class="palette-card">
      <div class="palette-search">
        <${Icon} name="search" size=${17} />
        <input ref=${inputRef} type="text" role="combobox" aria-expanded="true" aria-controls=${`${id}-list`}
          aria-activedescendant=${items[active] ? `${id}-${active}` : undefined} aria-label="Search objects"
          placeholder="Jump to a kind, or search objects by name or label" value=${query}
          onInput=${(e) => onQuery(e.currentTarget.value)} onKeyDown=${onKeyDown} autocomplete="off" spellcheck="false" />
        ${loading && html`<${Spinner} size="sm" inline label="Searching" />`}
        <kbd class="kbd">Esc</kbd>
      </div>
      <div class="palette-heading">${heading}</div>
      <ul class="palette-list" role="listbox" id=${`${id}-list`} ref=${listRef} aria-label=${heading}>
        ${items.length === 0 && html`<li class="palette-empty">${emptyText}</li>`}
        ${items.map((item, i) => html`<li key=${item.key} id=${`${id}-${i}`} role="option" aria-selected=${i === active ? "true" : "false"}
            class=${cx("palette-item", i === active && "is-active")} onPointerMove=${() => setActive(i)} onClick=${() => onPick(item)}>
          <span class="palette-kind">${item.kind}</span>
          <span class="palette-title mono">${item.title}</span>
          ${item.namespace && html`<span class="palette-ns">${item.namespace}</span>`}
          ${item.hint && html`<span class="palette-hint">${item.hint}</span>`}
          <span class="palette-spacer"></span>
          ${item.status && html`<${StatusBadge} value=${item.status} />`}
        </li>`)}
      </ul>
      <div class="palette-footer"><span><kbd class="kbd">↑</kbd><kbd class="kbd">↓</kbd> move</span>
        <span><kbd class="kbd">↵</kbd> open</span><span><kbd class="kbd">Esc</kbd> close</span></div>
    </div>
  </dialog>`;
}
