/**
 * Sign-in: username and password, then — when the account has 2FA — a second step that takes a
 * 6-digit authenticator code or a recovery code.
 */
import { html, useEffect, useRef, useState } from "../lib/ui.js";
import { login, verifyTwoFactor } from "../api/auth.js";
import { Codes } from "../api/client.js";
import { startSession } from "../state/session.js";
import { Spinner } from "../components/Spinner.js";
import { AuthCard, FormError } from "./AuthCard.js";

const MESSAGES = {
  [Codes.NOT_LOGGED_IN]: "Wrong username or password.",
  [Codes.TWO_FACTOR_FAILED]: "That code is not valid (wrong, already used or expired).",
  [Codes.TOKEN_EXPIRED]: "The sign-in took too long. Start again.",
  [Codes.RATE_LIMITED]: "Too many attempts. Wait a minute and try again.",
};

function friendly(error) {
  const message = MESSAGES[error?.code];
  return message ? { message, requestId: error.requestId } : error;
}

/** @param {{reason?: string}} props `reason` explains why the user is here ("expired"). */
export function LoginPage({ reason }) {
  const [step, setStep] = useState(/** @type {{name: string, sessionToken?: string, recovery?: boolean}} */ ({ name: "password" }));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [username, setUsername] = useState("");

  const submitPassword = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const result = await login(String(form.get("username")).trim(), String(form.get("password")));
      if (result.twoFactor) setStep({ name: "2fa", sessionToken: result.twoFactor.sessionToken, recovery: false });
      else startSession(result.session);
    } catch (err) {
      setError(friendly(err));
    } finally {
      setBusy(false);
    }
  };

  const submitCode = async (event) => {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get("code")).replace(/\s+/g, "");
    setBusy(true);
    setError(null);
    try {
      startSession(await verifyTwoFactor(step.sessionToken, code));
    } catch (err) {
      if (err.code === Codes.TOKEN_EXPIRED || err.code === Codes.NOT_LOGGED_IN) setStep({ name: "password" });
      setError(friendly(err));
      setBusy(false);
    }
  };

  if (step.name === "2fa") {
    return html`<${AuthCard} title="Two-factor authentication"
        subtitle=${step.recovery ? "Enter one of your recovery codes. Each code works once."
          : "Enter the 6-digit code from your authenticator app."}>
      <form class="form" onSubmit=${submitCode} autocomplete="off">
        <${CodeField} key=${step.recovery ? "recovery" : "totp"} recovery=${step.recovery} disabled=${busy} />
        <${FormError} error=${error} />
        <button type="submit" class="button button-primary button-block" disabled=${busy}>
          ${busy ? html`<${Spinner} size="sm" inline label="Verifying" /> Verifying…` : "Verify"}
        </button>
      </form>
      <div class="auth-links">
        <button type="button" class="link-button" onClick=${() => { setError(null); setStep({ ...step, recovery: !step.recovery }); }}>
          ${step.recovery ? "Use an authenticator code" : "Use a recovery code instead"}
        </button>
        <button type="button" class="link-button" onClick=${() => { setError(null); setStep({ name: "password" }); }}>
          Back to sign-in
        </button>
      </div>
    </${AuthCard}>`;
  }

  return html`<${AuthCard} title="Sign in" subtitle="Browse and operate your Kubernetes clusters."
      footer=${html`First run? Use the one-time link or the password printed in the console.`}>
    ${reason === "expired" && html`<div class="notice" role="status">Your session ended. Sign in again.</div>`}
    <form class="form" onSubmit=${submitPassword}>
      <label class="field">
        <span class="field-label">Username</span>
        <input name="username" type="text" autocomplete="username" required autofocus value=${username}
          onInput=${(e) => setUsername(e.currentTarget.value)} disabled=${busy} />
      </label>
      <label class="field">
        <span class="field-label">Password</span>
        <input name="password" type="password" autocomplete="current-password" required disabled=${busy} />
      </label>
      <${FormError} error=${error} />
      <button type="submit" class="button button-primary button-block" disabled=${busy}>
        ${busy ? html`<${Spinner} size="sm" inline label="Signing in" /> Signing in…` : "Sign in"}
      </button>
    </form>
  </${AuthCard}>`;
}

function CodeField({ recovery, disabled }) {
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), []);
  return recovery
    ? html`<label class="field"><span class="field-label">Recovery code</span>
        <input ref=${ref} name="code" type="text" autocomplete="off" spellcheck="false" required disabled=${disabled}
          class="mono" placeholder="xxxx-xxxx" /></label>`
    : html`<label class="field"><span class="field-label">Authentication code</span>
        <input ref=${ref} name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}"
          maxlength="7" required disabled=${disabled} class="mono code-input" placeholder="123456" /></label>`;
}
