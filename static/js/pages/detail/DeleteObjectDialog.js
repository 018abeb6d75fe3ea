/**
 * Delete one object: DeleteDialog (propagation policy, force) and the DELETE call, its busy state and refusal, and a
 * toast once deleted. The detail page's Delete button and the list's row menu both open it.
 */
import { html, useEffect, useState } from "../../lib/ui.js";
import { deleteObject } from "../../api/resources.js";
import { pushToast } from "../../state/toasts.js";
import { DeleteDialog } from "../../components/DeleteDialog.js";

/**
 * @param {{open: boolean, clusterId: string, resource: string, name: string, namespace?: string, kindName: string,
 *          onClose: () => void, onDeleted?: () => void}} props
 *   `kindName` labels it ("Pod"); `onDeleted` runs after the deletion (the dialog is closed with `onClose` first)
 */
export function DeleteObjectDialog({ open, clusterId, resource, name, namespace, kindName, onClose, onDeleted }) {
  const [state, setState] = useState({ busy: false, error: null });
  useEffect(() => {
    if (open) setState({ busy: false, error: null });
  }, [open]);
  const confirm = async (options) => {
    setState({ busy: true, error: null });
    try {
      await deleteObject(clusterId, resource, name, { namespace: namespace || undefined, ...options });
    } catch (error) {
      setState({ busy: false, error });
      return;
    }
    setState({ busy: false, error: null });
    pushToast({ kind: "success", message: `Deleted ${kindName} ${name}` });
    onClose();
    onDeleted?.();
  };
  return html`<${DeleteDialog} open=${open} kind=${kindName} name=${name} namespace=${namespace}
    busy=${state.busy} error=${state.error} onConfirm=${confirm} onClose=${onClose} />`;
}
