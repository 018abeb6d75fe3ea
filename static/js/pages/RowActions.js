/**
 * The row menu of a list page (the "⋮" at a row's end, a right-click on the row, ContextMenu / Shift+F10): what this
 * kind can do and the user may do, as GET /kinds says (lib/permissions.js `abilities`) — Logs, Shell, Edit YAML,
 * Scale, Restart, Port forward, Delete. The tabs open the object's detail page there (Edit YAML in its editor); the
 * others open the same dialogs as the detail page's header (ScaleDialog, RestartDialog, ForwardDialog,
 * DeleteObjectDialog), reading the object first where the dialog needs it (replicas, ports).
 */
import { html, useCallback, useState } from "../lib/ui.js";
import { abilities } from "../lib/permissions.js";
import { fetchObject } from "../api/resources.js";
import { navigate, paths } from "../router.js";
import { notifyError } from "../state/toasts.js";
import { ActionMenu } from "../components/ActionMenu.js";
import { RestartDialog, ScaleDialog } from "./detail/WorkloadActions.js";
import { ForwardDialog } from "./detail/ForwardAction.js";
import { DeleteObjectDialog } from "./detail/DeleteObjectDialog.js";
import { rowKey } from "./resourceColumns.js";

/**
 * @typedef {{name: string, namespace?: string}} ListRow
 * @typedef {{open: (row: ListRow, place: import("../components/VirtualTable.js").RowMenuPlace) => void,
 *            element: any} | null} RowActions
 *   `open` goes to the table's `onRowMenu`; `element` (the open menu and dialog) is rendered by the page
 */

/**
 * The row menu of one kind's list, or null when the user may do nothing with its objects.
 * @param {{clusterId: string, resource: string, kind: object, kinds?: object[], onChanged: () => void}} target
 *   `onChanged` runs after an action changed an object (a list that is not live reloads)
 * @returns {RowActions}
 */
export function useRowActions({ clusterId, resource, kind, kinds, onChanged }) {
  const [menu, setMenu] = useState(null); // {row, at, opener} | null
  const [dialog, setDialog] = useState(null); // {id, row, object?} | null
  const closeMenu = useCallback(() => setMenu(null), []);
  const can = abilities(kind, kinds);

  const open = useCallback((row, { at, opener }) => setMenu((shown) => (
    // The "⋮" of the row whose menu is open closes it; anything else opens the menu there (one at a time).
    shown && shown.opener === opener && rowKey(shown.row) === rowKey(row) ? null : { row, at, opener })), []);

  const detail = (row, query) => navigate(`${paths.detail(clusterId, row.namespace, resource, row.name)}?${query}`);
  /** Open dialog `id` for the row, with the stored object when the dialog needs it. */
  const openDialog = async (id, row, { withObject = false } = {}) => {
    if (!withObject) {
      setDialog({ id, row });
      return;
    }
    try {
      const object = await fetchObject(clusterId, resource, row.name, { namespace: row.namespace || undefined });
      setDialog({ id, row, object });
    } catch (error) {
      notifyError(`Could not read ${row.name}`, error);
    }
  };

  /** @type {Array<[boolean, string, string, string, (row: ListRow) => void, boolean?]>} */
  const actions = [
    [can.logs || can.aggregatedLogs, "logs", "Logs", "fileText", (row) => detail(row, "tab=logs")],
    [can.exec, "shell", "Shell", "terminal", (row) => detail(row, "tab=terminal")],
    [can.edit, "edit", "Edit YAML", "edit", (row) => detail(row, "tab=yaml&edit=1")],
    [can.scale, "scale", "Scale", "scale", (row) => openDialog("scale", row, { withObject: true })],
    [can.restart, "restart", "Restart", "restart", (row) => openDialog("restart", row)],
    [can.portForward && kind?.namespaced !== false, "forward", "Port forward", "link",
      (row) => openDialog("forward", row, { withObject: true })],
    [can.delete, "delete", "Delete", "trash", (row) => openDialog("delete", row), true],
  ];
  const offered = actions.filter(([allowed]) => allowed);
  if (offered.length === 0) return null;

  const closeDialog = (done) => {
    setDialog(null);
    if (done) onChanged();
  };
  const row = dialog?.row;
  const objectProps = row && {
    clusterId, resource, name: row.name, namespace: row.namespace || undefined, kind, open: true,
  };

  const element = html`
    ${menu && html`<${ActionMenu} label=${`Actions for ${menu.row.name}`} at=${menu.at} opener=${menu.opener}
      onClose=${closeMenu} items=${offered.map(([, id, label, icon, run, danger]) => ({
        id, label, icon, danger, onSelect: () => run(menu.row),
      }))} />`}
    ${dialog?.id === "scale" && html`<${ScaleDialog} ...${objectProps} object=${dialog.object} onClose=${closeDialog} />`}
    ${dialog?.id === "restart" && html`<${RestartDialog} ...${objectProps} onClose=${closeDialog} />`}
    ${dialog?.id === "forward" && html`<${ForwardDialog} ...${objectProps} object=${dialog.object}
      onClose=${() => closeDialog(false)} />`}
    ${dialog?.id === "delete" && html`<${DeleteObjectDialog} ...${objectProps} kindName=${kind?.kind ?? resource}
      onClose=${() => setDialog(null)} onDeleted=${onChanged} />`}`;
  return { open, element };
}
