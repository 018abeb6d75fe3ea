/**
 * My security: two-factor authentication (setup with the server-rendered QR code, recovery codes
 * shown once with copy/download, enable with a code, disable) and "sign out everywhere" (API keys
 * too, when asked). Turning 2FA on or off asks for the current password again.
 */
import { html, useState } from "../../lib/ui.js";
import { disableTwoFactor, enableTwoFactor, logoutAll, setupTwoFactor, twoFactorStatus } from "../../api/account.js";
import { setUser, signOut } from "../../state/session.js";
import { notifyError, pushToast } from "../../state/toasts.js";
import { CopyButton } from "../../components/CopyButton.js";
import { ConfirmDialog } from "../../components/ConfirmDialog.js";
import { Icon } from "../../components/Icon.js";
import { Spinner } from "../../components/Spinner.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { FormError } from "../AuthCard.js";
import { usePromise } from "../usePromise.js";

/** @param {{user: object}} props */
export function SecurityPage({ user }) {
  const status = usePromise((signal) => twoFactorStatus({ signal }), [], { errorTitle: "Could not read the 2FA status", initial: null });
  return html`<div class="settings-stack">
    <section class="card card-narrow" aria-labelledby="tfa-title">
      <div class="section-header"><h2 class="card-title" id="tfa-title"><${Icon} name="shield" size=${15} /> Two-factor authentication</h2>
        ${status.data && html`<${StatusBadge} value=${status.data.enabled ? "On" : "Off"} tone=${status.data.enabled ? "ok" : ""} />`}</div>
      ${!status.data ? html`<div class="loading-inline"><${Spinner} size="sm" inline /> Loading…</div>`
        : status.data.enabled ? html`<${DisableTwoFactor} remaining=${status.data.recoveryCodesRemaining} />`
        : html`<${SetupTwoFactor} user=${user} onEnabled=${() => { setUser({ ...user, totpEnabled: true }); status.reload(); }} />`}
    </section>
    <${SignOutEverywhere} />
  </div>`;
}

function SetupTwoFactor({ user, onEnabled }) {
  const [setup, setSetup] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setSetup(await setupTwoFactor());
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const enable = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const code = String(form.get("code") ?? "").replace(/\s+/g, "");
    setBusy(true);
    setError(null);
    try {
      await enableTwoFactor({ code, currentPassword: String(form.get("currentPassword") ?? "") });
      pushToast({ kind: "success", message: "Two-factor authentication is on." });
      onEnabled();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const copyCodes = async () => {
    try {
      await navigator.clipboard.writeText(setup.recoveryCodes.join("\n"));
      setSaved(true);
    } catch {
      pushToast({ kind: "info", message: "The browser blocked the clipboard: select the codes and copy them, or download them." });
    }
  };
  const download = () => {
    const text = `KubeVision recovery codes for ${user.username}\nEach code works once.\n\n${setup.recoveryCodes.join("\n")}\n`;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    link.download = `kubevision-recovery-codes-${user.username}.txt`;
    document.body.append(link);
    link.click();
    link.remove();
    setSaved(true);
  };

  if (!setup) {
    return html`<p class="muted">Protect your account with a time-based code from an authenticator app (Google Authenticator,
      1Password, Authy…) in addition to your password.</p>
      <${FormError} error=${error} />
      <button type="button" class="button button-primary" onClick=${start} disabled=${busy}>
        ${busy ? html`<${Spinner} size="sm" inline /> Preparing…` : "Set up two-factor authentication"}</button>`;
  }
  return html`<ol class="setup-steps">
    <li><h3 class="subheading">Scan this QR code with your authenticator app</h3>
      <div class="qr-row">
        <img class="qr-code" src=${setup.qrSvg} alt="QR code for your authenticator app" width="176" height="176" />
        <div class="qr-secret"><span class="field-label">Or enter this key by hand</span>
          <div class="copy-with-label"><code class="mono secret-key-text" aria-label="Secret key">${setup.secret}</code>
            <${CopyButton} text=${setup.secret} label="Copy the secret key" /></div></div>
      </div></li>
    <li><h3 class="subheading">Save your recovery codes</h3>
      <p class="small muted">Each code signs you in once if you lose your device. They are shown only now.</p>
      <ul class="recovery-codes" aria-label="Recovery codes">${setup.recoveryCodes.map((c) => html`<li key=${c} class="mono">${c}</li>`)}</ul>
      <div class="button-row">
        <button type="button" class="button" onClick=${copyCodes}><${Icon} name="copy" size=${14} /> Copy</button>
        <button type="button" class="button" onClick=${download}><${Icon} name="download" size=${14} /> Download</button>
        ${saved && html`<span class="text-ok small"><${Icon} name="check" size=${13} /> Saved</span>`}
      </div></li>
    <li><h3 class="subheading">Enter the 6-digit code from the app and your password</h3>
      <form class="inline-form" onSubmit=${enable}>
        <input type="text" name="username" autocomplete="username" value=${user.username} hidden readonly />
        <input name="code" class="code-input" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7"
          required aria-label="Authentication code" placeholder="123456" disabled=${busy} />
        <${CurrentPassword} disabled=${busy} />
        <button type="submit" class="button button-primary" disabled=${busy}>${busy ? "Checking…" : "Turn on 2FA"}</button>
      </form>
      <${FormError} error=${error} /></li>
  </ol>`;
}

function DisableTwoFactor({ remaining }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const disable = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const code = String(form.get("code") ?? "").trim();
    setBusy(true);
    setError(null);
    try {
      await disableTwoFactor({ code, currentPassword: String(form.get("currentPassword") ?? "") });
    } catch (err) {
      setError(err);
      setBusy(false);
      return;
    }
    pushToast({ kind: "success", message: "Two-factor authentication is off. Sign in again." });
    await signOut();
  };
  return html`<p>Sign-in asks for a code from your authenticator app.
      <span class="muted">${remaining} recovery code${remaining === 1 ? "" : "s"} left.</span></p>
    <form class="inline-form" onSubmit=${disable}>
      <input name="code" class="code-input" autocomplete="one-time-code" required aria-label="Code to turn 2FA off"
        placeholder="Code or recovery code" disabled=${busy} />
      <${CurrentPassword} disabled=${busy} />
      <button type="submit" class="button button-danger-outline" disabled=${busy}>${busy ? "Turning off…" : "Turn off 2FA"}</button>
    </form>
    <p class="small muted">Turning 2FA off signs you out on every device.</p>
    <${FormError} error=${error} />`;
}

/** The current password, asked for again before a sensitive change (never a reason to sign out). */
function CurrentPassword({ disabled }) {
  return html`<input name="currentPassword" type="password" autocomplete="current-password" required
    aria-label="Current password" placeholder="Current password" disabled=${disabled} />`;
}

function SignOutEverywhere() {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [revokeApiKeys, setRevokeApiKeys] = useState(false);
  const confirm = async () => {
    setBusy(true);
    let result;
    try {
      result = await logoutAll({ revokeApiKeys });
    } catch (error) {
      setBusy(false);
      notifyError("Could not sign out everywhere", error);
      return;
    }
    const keys = result?.apiKeysRevoked ?? 0;
    const revoked = revokeApiKeys ? ` ${keys} API key${keys === 1 ? "" : "s"} revoked.` : "";
    pushToast({ kind: "success", message: `Signed out on every device.${revoked}` });
    await signOut();
  };
  const cancel = () => {
    setOpen(false);
    setRevokeApiKeys(false);
  };
  return html`<section class="card card-narrow" aria-labelledby="sessions-title">
    <h2 class="card-title" id="sessions-title"><${Icon} name="logout" size=${15} /> Sessions</h2>
    <p class="muted">Signs out every browser and revokes every token of your account, including this one.</p>
    <button type="button" class="button button-danger-outline" onClick=${() => setOpen(true)}>Sign out everywhere</button>
    <${ConfirmDialog} open=${open} title="Sign out everywhere?" danger busy=${busy} confirmLabel="Sign out everywhere"
      message=${revokeApiKeys ? "Every session of your account ends, here too, and every API key stops working."
        : "Every session of your account ends, here too. API keys keep working."}
      onConfirm=${confirm} onCancel=${cancel}>
      <label class="checkbox-row"><input type="checkbox" checked=${revokeApiKeys} disabled=${busy}
        onChange=${(event) => setRevokeApiKeys(event.currentTarget.checked)} /> Also revoke all my API keys</label>
    </${ConfirmDialog}>
  </section>`;
}
