/**
 * The user form used to create and edit users: role, e-mail, cluster and namespace grants,
 * custom permissions, active. It only collects values; the page sends them.
 */
import { html } from "../../lib/ui.js";

export const ROLES = [
  ["admin", "Admin — everything, including users"],
  ["ops", "Ops — all resource verbs, reads the audit log"],
  ["dev", "Dev — read/write/exec/logs, cluster-scoped read-only"],
  ["readonly", "Read-only — read and logs"],
  ["custom", "Custom — an explicit permission list"],
];

/**
 * Turn form state into an API body.
 * @returns {{role: string, email: string|null, clusters: number[]|null, namespaces: string[]|null, permissions?: string[], active?: boolean}}
 */
export function userBody(values) {
  const namespaces = values.namespaces.split(/[\s,]+/).map((n) => n.trim()).filter(Boolean);
  const body = {
    role: values.role,
    email: values.email.trim() || null,
    clusters: values.allClusters ? null : values.clusters.map(Number),
    namespaces: values.allNamespaces ? null : namespaces,
  };
  if (values.role === "custom") body.permissions = values.permissions.split(/[\s,]+/).map((p) => p.trim()).filter(Boolean);
  return body;
}

/** Initial form values for a user (or a new one). */
export function userValues(user) {
  return {
    username: user?.username ?? "", password: "", email: user?.email ?? "", role: user?.role ?? "readonly",
    allClusters: !user || user.clusters === null || user.clusters === undefined, clusters: (user?.clusters ?? []).map(String),
    allNamespaces: !user || user.namespaces === null || user.namespaces === undefined, namespaces: (user?.namespaces ?? []).join(", "),
    permissions: (user?.permissions ?? []).join(", "), active: user?.active ?? true,
  };
}

/**
 * @param {{values: object, onChange: (values: object) => void, clusters: object[], creating: boolean, disabled?: boolean}} props
 */
export function UserForm({ values, onChange, clusters, creating, disabled = false }) {
  const set = (patch) => onChange({ ...values, ...patch });
  return html`<div class="form user-form">
    ${creating && html`<div class="form-row">
      <label class="field"><span class="field-label">Username</span>
        <input value=${values.username} required pattern="[A-Za-z0-9._@\\-]{1,64}" autocomplete="off" disabled=${disabled}
          onInput=${(e) => set({ username: e.currentTarget.value })} /></label>
      <label class="field"><span class="field-label">Initial password</span>
        <input type="password" value=${values.password} required minlength="8" autocomplete="new-password" disabled=${disabled}
          onInput=${(e) => set({ password: e.currentTarget.value })} /></label>
    </div>`}
    <label class="field"><span class="field-label">E-mail</span>
      <input type="email" value=${values.email} disabled=${disabled} onInput=${(e) => set({ email: e.currentTarget.value })} /></label>
    <label class="field"><span class="field-label">Role</span>
      <select value=${values.role} disabled=${disabled} onChange=${(e) => set({ role: e.currentTarget.value })}>
        ${ROLES.map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
      </select></label>
    ${values.role === "custom" && html`<label class="field"><span class="field-label">Permissions</span>
      <input value=${values.permissions} placeholder="pods:read, pods:logs, deployments:*" disabled=${disabled}
        onInput=${(e) => set({ permissions: e.currentTarget.value })} />
      <span class="field-hint">resource:verb pairs; verbs read, write, delete, exec, logs, reveal or *.</span></label>`}
    <fieldset class="fieldset">
      <legend class="field-label">Clusters</legend>
      <label class="checkbox-row"><input type="checkbox" checked=${values.allClusters} disabled=${disabled}
        onChange=${(e) => set({ allClusters: e.currentTarget.checked })} /> All clusters</label>
      ${!values.allClusters && html`<div class="checkbox-grid">${clusters.map((c) => html`<label key=${c.id} class="checkbox-row">
        <input type="checkbox" checked=${values.clusters.includes(String(c.id))} disabled=${disabled}
          onChange=${(e) => set({ clusters: e.currentTarget.checked ? [...values.clusters, String(c.id)] : values.clusters.filter((id) => id !== String(c.id)) })} />
        ${c.name}</label>`)}
        ${clusters.length === 0 && html`<span class="muted small">No clusters configured.</span>`}</div>`}
    </fieldset>
    <fieldset class="fieldset">
      <legend class="field-label">Namespaces</legend>
      <label class="checkbox-row"><input type="checkbox" checked=${values.allNamespaces} disabled=${disabled}
        onChange=${(e) => set({ allNamespaces: e.currentTarget.checked })} /> All namespaces</label>
      ${!values.allNamespaces && html`<input value=${values.namespaces} placeholder="team-a, team-b" aria-label="Granted namespaces" disabled=${disabled}
        onInput=${(e) => set({ namespaces: e.currentTarget.value })} />`}
    </fieldset>
    ${!creating && html`<label class="checkbox-row"><input type="checkbox" checked=${values.active} disabled=${disabled}
      onChange=${(e) => set({ active: e.currentTarget.checked })} /> Active (may sign in)</label>`}
  </div>`;
}
