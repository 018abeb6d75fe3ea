/**
 * A searchable dropdown (button + listbox popover) used by the cluster and namespace pickers.
 * Keyboard: Enter/Space/↓ opens, typing filters, ↑/↓ move, Enter picks, Escape closes.
 * With `onToggle` it also selects several: each option has a checkbox (Shift+Enter toggles the active one),
 * and `selected` lists the values checked; picking an option's label still selects just that one.
 */
import { html, cx, useEffect, useMemo, useRef, useState, useId } from "../lib/ui.js";
import { Icon } from "./Icon.js";

/**
 * Close a popover on outside pointer-down or Escape.
 * @param {{current: HTMLElement|null}} ref element containing trigger and popover
 * @param {boolean} open
 * @param {() => void} onClose
 */
export function useDismiss(ref, open, onClose) {
  useEffect(() => {
    if (!open) return undefined;
    const onPointer = (event) => {
      if (ref.current && !ref.current.contains(event.target)) onClose();
    };
    const onKey = (event) => {
      if (event.key === "Escape") onClose();
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);
}

/**
 * @typedef {{value: string, label: string, hint?: string, tone?: string, exclusive?: boolean}} PickerOption
 *   `exclusive`: an option that cannot be one of several (e.g. "All namespaces").
 * @param {{label: string, icon?: string, options: PickerOption[], value: string, onSelect: (value: string) => void,
 *          placeholder?: string, searchPlaceholder?: string, disabled?: boolean, class?: string,
 *          display?: any, emptyText?: string, selected?: string[], onToggle?: (value: string) => void}} props
 */
export function Picker({ label, icon, options, value, onSelect, placeholder = "Select…", searchPlaceholder = "Filter…",
  disabled = false, class: className, display, emptyText = "No matches", selected, onToggle }) {
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState("");
  const [active, setActive] = useState(0);
  const rootRef = useRef(null);
  const buttonRef = useRef(null);
  const inputRef = useRef(null);
  const listRef = useRef(null);
  const id = useId();
  const close = () => {
    setOpen(false);
    setFilter("");
  };
  useDismiss(rootRef, open, close);

  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return needle ? options.filter((o) => o.label.toLowerCase().includes(needle)) : options;
  }, [options, filter]);

  useEffect(() => {
    if (!open) return;
    const current = shown.findIndex((o) => o.value === value);
    setActive(current >= 0 ? current : 0);
    inputRef.current?.focus();
  }, [open]);

  useEffect(() => {
    listRef.current?.querySelector(".picker-option.is-active")?.scrollIntoView({ block: "nearest" });
  }, [active, open]);

  const pick = (option) => {
    close();
    buttonRef.current?.focus();
    if (option && option.value !== value) onSelect(option.value);
  };

  const checked = (option) => (selected ? selected.includes(option.value) : option.value === value);
  const toggles = (option) => Boolean(onToggle) && !option.exclusive;

  const onListKey = (event) => {
    if (event.key === "Enter" && event.shiftKey && shown[active] && toggles(shown[active])) onToggle?.(shown[active].value);
    else if (event.key === "ArrowDown") setActive((i) => Math.min(shown.length - 1, i + 1));
    else if (event.key === "ArrowUp") setActive((i) => Math.max(0, i - 1));
    else if (event.key === "Enter") pick(shown[active]);
    else if (event.key === "Escape") {
      close();
      buttonRef.current?.focus();
    } else return;
    event.preventDefault();
    event.stopPropagation();
  };

  const current = options.find((o) => o.value === value);
  return html`<div class=${cx("picker", className, open && "is-open")} ref=${rootRef}>
    <button type="button" ref=${buttonRef} class="picker-button" disabled=${disabled}
        aria-haspopup="listbox" aria-expanded=${open ? "true" : "false"} aria-label=${`${label}: ${display ?? current?.label ?? placeholder}`}
        onClick=${() => (open ? close() : setOpen(true))}
        onKeyDown=${(e) => { if (e.key === "ArrowDown") { e.preventDefault(); setOpen(true); } }}>
      ${icon && html`<${Icon} name=${icon} size=${15} class="picker-icon" />`}
      <span class="picker-text">
        <span class="picker-label">${label}</span>
        <span class="picker-value">${display ?? current?.label ?? placeholder}</span>
      </span>
      <${Icon} name="chevronDown" size=${14} class="picker-caret" />
    </button>
    ${open && html`<div class="popover picker-popover" onKeyDown=${onListKey}>
      <div class="picker-search">
        <${Icon} name="search" size=${14} />
        <input ref=${inputRef} type="text" value=${filter} placeholder=${searchPlaceholder}
          aria-label=${`Filter ${label.toLowerCase()}`} aria-controls=${`${id}-list`}
          aria-activedescendant=${shown[active] ? `${id}-opt-${active}` : undefined}
          onInput=${(e) => { setFilter(e.currentTarget.value); setActive(0); }} />
      </div>
      <ul class="picker-list" role="listbox" id=${`${id}-list`} ref=${listRef} aria-label=${label}>
        ${shown.length === 0 && html`<li class="picker-empty">${emptyText}</li>`}
        ${shown.map((option, index) => html`<li key=${option.value} id=${`${id}-opt-${index}`} role="option"
            aria-selected=${checked(option) ? "true" : "false"}
            class=${cx("picker-option", index === active && "is-active", checked(option) && "is-selected")}
            onPointerMove=${() => setActive(index)} onClick=${() => pick(option)}>
          ${onToggle && html`<input type="checkbox" class="picker-toggle" tabindex="-1" checked=${checked(option)}
            disabled=${!toggles(option)} aria-label=${`Also ${option.label}`}
            onClick=${(e) => { e.stopPropagation(); if (toggles(option)) onToggle(option.value); }} />`}
          ${option.tone !== undefined && html`<span class=${cx("dot", option.tone && `dot-${option.tone}`)}></span>`}
          <span class="picker-option-label">${option.label}</span>
          ${option.hint && html`<span class="picker-option-hint">${option.hint}</span>`}
          ${!onToggle && option.value === value && html`<${Icon} name="check" size=${14} class="picker-check" />`}
        </li>`)}
      </ul>
      ${onToggle && html`<p class="picker-footnote">Tick boxes (or Shift+Enter) to choose several</p>`}
    </div>`}
  </div>`;
}
