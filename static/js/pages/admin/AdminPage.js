/**
 * Administration: users (admins only) and the audit log (admins and ops). Sections the user's role
 * cannot use are not offered; opening one by URL shows a clear refusal.
 */
import { html, cx } from "../../lib/ui.js";
import { Link, paths } from "../../router.js";
import { Icon } from "../../components/Icon.js";
import { EmptyState } from "../../components/EmptyState.js";
import { UsersPage } from "./UsersPage.js";
import { AuditPage } from "./AuditPage.js";

const SECTIONS = [
  { id: "users", label: "Users", roles: ["admin"] },
  { id: "audit", label: "Audit log", roles: ["admin", "ops"] },
];

/** Admin sections the user may open. */
export function adminSections(user) {
  return SECTIONS.filter((s) => s.roles.includes(user?.role));
}

/** @param {{section: string, user: object, clusters: object[]}} props */
export function AdminPage({ section, user, clusters }) {
  const allowed = adminSections(user);
  const current = allowed.find((s) => s.id === section);
  return html`<div class="page">
    <div class="page-header"><h1 class="page-title">Administration</h1>
      <div class="page-actions"><${Link} class="button" href=${paths.terminalSessions()}><${Icon} name="terminal" size=${14} /> Terminal sessions</${Link}></div>
    </div>
    ${allowed.length > 0 && html`<div class="tabs" role="tablist">
      ${allowed.map((s) => html`<${Link} key=${s.id} href=${paths.admin(s.id)} role="tab" aria-selected=${s.id === section ? "true" : "false"}
        class=${cx("tab", s.id === section && "is-active")}>${s.label}</${Link}>`)}
    </div>`}
    <div class="tab-panel">
      ${!current ? html`<${EmptyState} icon="lock" title="Not available">Your role (${user?.role}) cannot open this administration page.</${EmptyState}>`
        : current.id === "users" ? html`<${UsersPage} user=${user} clusters=${clusters} />`
        : html`<${AuditPage} clusters=${clusters} />`}
    </div>
  </div>`;
}
