/**
 * Users (admin): list, create, edit role / grants / active, reset password or 2FA, delete.
 * The server guards the last admin; its refusals are shown in the dialog.
 */
import { html, useState } from "../../lib/ui.js";
import { createUser, deleteUser, listUsers, resetUserPassword, resetUserTwoFactor, updateUser } from "../../api/admin.js";
import { pushToast } from "../../state/toasts.js";
import { ActionDialog } from "../../components/ActionDialog.js";
import { Age } from "../../components/Age.js";
import { Icon } from "../../components/Icon.js";
import { DataTable } from "../../components/DataTable.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { UserForm, userBody, userValues } from "./UserForm.js";
import { usePromise } from "../usePromise.js";

function grantText(list, all, names) {
  if (list === null || list === undefined) return html`<span class="muted">${all}</span>`;
  if (!list.length) return html`<span class="text-warn">none</span>`;
  return list.map((v) => names?.get(v) ?? v).join(", ");
}

/**
 * @param {{me: object, clusterNames: Map<number, string>, open: (type: string, user?: object) => void}} context
 *   `open` opens the edit / reset / delete dialog of a user
 * @returns {import("../../components/DataTable.js").TableColumn[]}
 */
function userColumns({ me, clusterNames, open }) {
  return [
    { key: "user", label: "User", render: (u) => html`<div class="user-cell"><span class="avatar avatar-sm" aria-hidden="true">${u.username[0].toUpperCase()}</span>
      <div><div>${u.username}${u.id === me.id && html` <span class="chip">you</span>`}</div>${u.email && html`<div class="muted small">${u.email}</div>`}</div></div>` },
    { key: "role", label: "Role", render: (u) => html`<span class=${`role-chip role-${u.role}`}>${u.role}</span>` },
    { key: "clusters", label: "Clusters", render: (u) => grantText(u.clusters, "all", clusterNames) },
    { key: "namespaces", label: "Namespaces", render: (u) => grantText(u.namespaces, "all") },
    { key: "2fa", label: "2FA", render: (u) => (u.totpEnabled ? html`<${StatusBadge} value="On" tone="ok" />` : html`<span class="muted">off</span>`) },
    { key: "status", label: "Status", render: (u) => html`${u.active ? html`<${StatusBadge} value="Active" tone="ok" />`
      : html`<${StatusBadge} value="Deactivated" tone="warn" />`}${u.mustChangePassword && html`<div class="muted small">must change password</div>`}` },
    { key: "lastLogin", label: "Last sign-in",
      render: (u) => (u.lastLoginAt ? html`<${Age} value=${u.lastLoginAt} suffix=" ago" />` : html`<span class="muted">never</span>`) },
    { key: "actions", label: "", className: "row-actions", align: "right", render: (u) => html`
      <button type="button" class="button button-sm" onClick=${() => open("edit", u)} aria-label=${`Edit ${u.username}`}>Edit</button>
      <button type="button" class="button button-sm" onClick=${() => open("password", u)} aria-label=${`Reset password of ${u.username}`}>Reset password</button>
      ${u.totpEnabled && html`<button type="button" class="button button-sm" onClick=${() => open("2fa", u)} aria-label=${`Reset 2FA of ${u.username}`}>Reset 2FA</button>`}
      ${u.id !== me.id && html`<button type="button" class="button button-sm button-danger-outline" onClick=${() => open("delete", u)}
        aria-label=${`Delete ${u.username}`}><${Icon} name="trash" size=${13} /></button>`}` },
  ];
}

/** @param {{user: object, clusters: object[]}} props */
export function UsersPage({ user: me, clusters }) {
  const users = usePromise((signal) => listUsers({ signal }), [], { errorTitle: "Could not load users", initial: null });
  const [dialog, setDialog] = useState(null); // {type, user}
  const [values, setValues] = useState(userValues(null));
  const [password, setPassword] = useState("");
  const clusterNames = new Map(clusters.map((c) => [c.id, c.name]));

  const open = (type, user = null) => {
    setValues(userValues(user));
    setPassword("");
    setDialog({ type, user });
  };
  const close = (done) => {
    setDialog(null);
    if (done) users.reload();
  };
  const target = dialog?.user;

  return html`<div class="card card-flush">
    <div class="section-header">
      <h2 class="card-title"><${Icon} name="users" size=${15} /> Users</h2>
      <button type="button" class="button button-primary" onClick=${() => open("create")}><${Icon} name="plus" size=${14} /> New user</button>
    </div>
    <${DataTable} label="Users" class="users-table" columns=${userColumns({ me, clusterNames, open })}
      rows=${users.data ?? []} rowKey=${(u) => u.id} rowClass=${(u) => !u.active && "is-inactive"}
      loading=${users.loading} error=${users.error} onRetry=${users.reload} errorTitle="Could not load users" empty="No users" />

    <${ActionDialog} open=${dialog?.type === "create"} wide title="New user" confirmLabel="Create user"
      onConfirm=${async () => {
        await createUser({ username: values.username.trim(), password: values.password, ...userBody(values) });
        pushToast({ kind: "success", message: `Created ${values.username}` });
      }} onClose=${close}>
      <${UserForm} values=${values} onChange=${setValues} clusters=${clusters} creating />
    </${ActionDialog}>
    <${ActionDialog} open=${dialog?.type === "edit"} wide title=${`Edit ${target?.username ?? ""}`} confirmLabel="Save"
      onConfirm=${async () => {
        await updateUser(target.id, { ...userBody(values), active: values.active });
        pushToast({ kind: "success", message: `Saved ${target.username}` });
      }} onClose=${close}>
      <${UserForm} values=${values} onChange=${setValues} clusters=${clusters} creating=${false} />
    </${ActionDialog}>
    <${ActionDialog} open=${dialog?.type === "password"} title=${`Reset the password of ${target?.username ?? ""}`} confirmLabel="Set password"
      disabled=${password.length < 8}
      description="The user must choose a new password at the next sign-in, and is signed out everywhere."
      onConfirm=${async () => { await resetUserPassword(target.id, password); pushToast({ kind: "success", message: "Password reset." }); }}
      onClose=${close}>
      <label class="field"><span class="field-label">Temporary password</span>
        <input type="password" value=${password} minlength="8" autocomplete="new-password" onInput=${(e) => setPassword(e.currentTarget.value)} />
        <span class="field-hint">At least 8 characters.</span></label>
    </${ActionDialog}>
    <${ActionDialog} open=${dialog?.type === "2fa"} title=${`Turn off 2FA for ${target?.username ?? ""}?`} confirmLabel="Turn off 2FA" danger
      description="Use this when the user lost their authenticator and recovery codes. They can set it up again."
      onConfirm=${async () => { await resetUserTwoFactor(target.id); pushToast({ kind: "success", message: "2FA turned off." }); }}
      onClose=${close} />
    <${ActionDialog} open=${dialog?.type === "delete"} title=${`Delete ${target?.username ?? ""}?`} confirmLabel="Delete user" danger
      description="The user, their API keys and recovery codes are deleted. Audit entries stay."
      onConfirm=${async () => { await deleteUser(target.id); pushToast({ kind: "success", message: `Deleted ${target.username}` }); }}
      onClose=${close} />
  </div>`;
}
