/**
 * Set a new password for the signed-in user (first run, forced change, settings). The server
 * signs the user out everywhere after a change, so on success this signs in again with the new
 * password. A bootstrap session does not know the old password and sends only the new one.
 */
import { html, useId, useState } from "../lib/ui.js";
import { changePassword, login } from "../api/auth.js";
import { startSession, signOut } from "../state/session.js";
import { pushToast } from "../state/toasts.js";
import { Spinner } from "../components/Spinner.js";
import { FormError } from "./AuthCard.js";

const MIN_LENGTH = 8; // SPEC §2

/**
 * @param {{username: string, askOldPassword: boolean, submitLabel?: string, onDone?: () => void}} props
 */
export function PasswordForm({ username, askOldPassword, submitLabel = "Set password", onDone }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const hintId = useId();

  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const newPassword = String(form.get("newPassword"));
    if (newPassword.length < MIN_LENGTH) return setError({ message: `Use at least ${MIN_LENGTH} characters.` });
    if (newPassword !== String(form.get("confirm"))) return setError({ message: "The two passwords do not match." });
    setBusy(true);
    setError(null);
    try {
      await changePassword({ oldPassword: askOldPassword ? String(form.get("oldPassword")) : undefined, newPassword });
    } catch (err) {
      setBusy(false);
      return setError(err);
    }
    try {
      const result = await login(username, newPassword);
      if (result.twoFactor) throw new Error("2FA");
      startSession(result.session);
      pushToast({ kind: "success", message: "Password changed." });
      onDone?.();
    } catch {
      // 2FA accounts (or a failed re-login) sign in again by hand.
      pushToast({ kind: "success", message: "Password changed. Sign in with the new password." });
      await signOut();
    }
    return undefined;
  };

  return html`<form class="form" onSubmit=${submit}>
    <input type="text" name="username" autocomplete="username" value=${username} hidden readonly />
    ${askOldPassword && html`<label class="field"><span class="field-label">Current password</span>
      <input name="oldPassword" type="password" autocomplete="current-password" required disabled=${busy} /></label>`}
    <div class="field">
      <label class="field"><span class="field-label">New password</span>
        <input name="newPassword" type="password" autocomplete="new-password" required minlength=${MIN_LENGTH}
          disabled=${busy} autofocus=${!askOldPassword} aria-describedby=${hintId} /></label>
      <span class="field-hint" id=${hintId}>At least ${MIN_LENGTH} characters.</span>
    </div>
    <label class="field"><span class="field-label">Confirm new password</span>
      <input name="confirm" type="password" autocomplete="new-password" required disabled=${busy} /></label>
    <${FormError} error=${error} />
    <button type="submit" class="button button-primary button-block" disabled=${busy}>
      ${busy ? html`<${Spinner} size="sm" inline label="Saving" /> Saving…` : submitLabel}
    </button>
  </form>`;
}
