/** Shown when the signed-in user must change their password (first run, or after an admin reset). */
import { html } from "../lib/ui.js";
import { signOut } from "../state/session.js";
import { AuthCard } from "./AuthCard.js";
import { PasswordForm } from "./PasswordForm.js";

/**
 * @param {{user: {username: string}, viaBootstrap: boolean}} props
 */
export function SetPasswordPage({ user, viaBootstrap }) {
  return html`<${AuthCard}
      title=${viaBootstrap ? "Welcome to KubeVision" : "Choose a new password"}
      subtitle=${viaBootstrap
        ? html`You are signed in as <strong>${user.username}</strong>. Set a password for this account to finish setting up.`
        : html`The password of <strong>${user.username}</strong> must be changed before you continue.`}
      footer=${html`<button type="button" class="link-button" onClick=${signOut}>Sign out</button>`}>
    <${PasswordForm} username=${user.username} askOldPassword=${!viaBootstrap} submitLabel="Set password and continue" />
  </${AuthCard}>`;
}
