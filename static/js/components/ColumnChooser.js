/** A toolbar button with a small menu of a table's columns (checkboxes: shown or hidden) and a reset. */
import { html, useRef, useState } from "../lib/ui.js";
import { Icon } from "./Icon.js";
import { useDismiss } from "./Picker.js";

/**
 * @typedef {{key: string, label: string, shown: boolean, locked?: boolean, wide?: boolean}} ChooserColumn
 *   `locked` columns cannot be hidden (the Name link); `wide` ones are kubectl's `-o wide` columns
 */

/**
 * @param {{columns: ChooserColumn[], onToggle: (key: string, shown: boolean) => void, onReset: () => void,
 *          customized: boolean}} props `customized`: the choice differs from the defaults (Reset is offered)
 */
export function ColumnChooser({ columns, onToggle, onReset, customized }) {
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  useDismiss(ref, open, () => setOpen(false));
  return html`<div class="column-chooser" ref=${ref}>
    <button type="button" class="button" aria-haspopup="true" aria-expanded=${open ? "true" : "false"}
        onClick=${() => setOpen(!open)} title="Choose the columns shown">
      <${Icon} name="sliders" size=${14} /> Columns
    </button>
    ${open && html`<div class="popover menu column-menu" role="group" aria-label="Columns">
      ${columns.map((column) => html`<label key=${column.key} class="menu-item column-option">
        <input type="checkbox" class="checkbox" checked=${column.shown} disabled=${column.locked}
          onChange=${(e) => onToggle(column.key, e.currentTarget.checked)} />
        <span class="column-option-label">${column.label}</span>
        ${column.wide && html`<span class="muted small">wide</span>`}
      </label>`)}
      <div class="menu-separator" role="separator"></div>
      <button type="button" class="menu-item" disabled=${!customized} onClick=${onReset}>
        <${Icon} name="restart" /> Reset to defaults
      </button>
    </div>`}
  </div>`;
}
