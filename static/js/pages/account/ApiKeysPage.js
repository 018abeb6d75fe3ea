/** My API keys: create (the key is shown once; asks for the current password again), list and revoke. */
import { html, useState } from "../../lib/ui.js";
import { createApiKey, deleteApiKey, listApiKeys } from "../../api/account.js";
import { notifyError, pushToast } from "../../state/toasts.js";
import { Age } from "../../components/Age.js";
import { CopyButton } from "../../components/CopyButton.js";
import { ConfirmDialog } from "../../components/ConfirmDialog.js";
import { Icon } from "../../components/Icon.js";
import { DataTable } from "../../components/DataTable.js";
import { FormError } from "../AuthCard.js";
import { usePromise } from "../usePromise.js";

const EXPIRIES = [["", "Never"], ["30", "30 days"], ["90", "90 days"], ["365", "1 year"]];

export function ApiKeysPage() {
  const keys = usePromise((signal) => listApiKeys({ signal }), [], { errorTitle: "Could not load API keys", initial: null });
  const [created, setCreated] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [removing, setRemoving] = useState(null);

  const create = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const formEl = event.currentTarget;
    setBusy(true);
    setError(null);
    try {
      const key = await createApiKey({ name: String(form.get("name")).trim(), expiresInDays: Number(form.get("expires")) || undefined,
        currentPassword: String(form.get("currentPassword") ?? "") });
      setCreated(key);
      formEl.reset();
      keys.reload();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const remove = async () => {
    try {
      await deleteApiKey(removing.id);
      pushToast({ kind: "success", message: `Revoked ${removing.name}` });
      keys.reload();
    } catch (err) {
      notifyError("Could not revoke the key", err);
    }
    setRemoving(null);
  };

  return html`<div class="settings-stack">
    <section class="card card-narrow" aria-labelledby="new-key-title">
      <h2 class="card-title" id="new-key-title"><${Icon} name="key" size=${15} /> New API key</h2>
      <p class="muted small">Scripts send it as <code>X-API-Key</code>. A key acts with your role and grants, but cannot
        manage keys, 2FA or your password. Creating one asks for your password again.</p>
      <form class="inline-form" onSubmit=${create}>
        <label class="field grow"><span class="field-label">Name</span><input name="name" required maxlength="100" placeholder="ci-deploy" disabled=${busy} /></label>
        <label class="field"><span class="field-label">Expires</span><select name="expires" disabled=${busy}>
          ${EXPIRIES.map(([v, l]) => html`<option key=${v} value=${v}>${l}</option>`)}</select></label>
        <label class="field"><span class="field-label">Your password</span><input name="currentPassword" type="password"
          autocomplete="current-password" required disabled=${busy} /></label>
        <button type="submit" class="button button-primary" disabled=${busy}>${busy ? "Creating…" : "Create key"}</button>
      </form>
      <${FormError} error=${error} />
      ${created && html`<div class="notice notice-success" role="status">
        <div><strong>${created.name}</strong>: copy this key now, it is not shown again.</div>
        <div class="copy-with-label"><code class="mono new-key" aria-label="Your new API key">${created.key}</code><${CopyButton} text=${created.key} label="Copy the API key" /></div>
      </div>`}
    </section>
    <section class="card card-flush" aria-labelledby="keys-title">
      <div class="section-header"><h2 class="card-title" id="keys-title">Your keys</h2></div>
      <${DataTable} label="API keys" rows=${keys.data ?? []} rowKey=${(k) => k.id} loading=${keys.loading} error=${keys.error}
        onRetry=${keys.reload} errorTitle="Could not load API keys" empty="No API keys yet" emptyIcon="key" columns=${[
          { key: "name", label: "Name", value: (k) => k.name },
          { key: "key", label: "Key", className: "mono", value: (k) => `${k.prefix}…` },
          { key: "created", label: "Created", render: (k) => html`<${Age} value=${k.createdAt} suffix=" ago" />` },
          { key: "lastUsed", label: "Last used", render: (k) => (k.lastUsedAt ? html`<${Age} value=${k.lastUsedAt} suffix=" ago" />` : html`<span class="muted">never</span>`) },
          { key: "expires", label: "Expires", render: (k) => (k.expiresAt ? new Date(k.expiresAt).toLocaleDateString() : html`<span class="muted">never</span>`) },
          { key: "revoke", label: "", align: "right", render: (k) => html`<button type="button" class="button button-danger-outline button-sm"
            onClick=${() => setRemoving(k)} aria-label=${`Revoke ${k.name}`}>Revoke</button>` },
        ]} />
    </section>
    <${ConfirmDialog} open=${Boolean(removing)} title=${`Revoke ${removing?.name ?? ""}?`} danger confirmLabel="Revoke"
      message="Scripts using this key stop working at once." onConfirm=${remove} onCancel=${() => setRemoving(null)} />
  </div>`;
}
