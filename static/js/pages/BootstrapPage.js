/**
 * First-run link `/?bootstrap=<token>`: exchange the one-time token for an admin session. The
 * token was already removed from the address bar by main.js; on success the app shows the
 * "set your password" screen because the first admin must change the generated password.
 */
import { html, useEffect, useState } from "../lib/ui.js";
import { bootstrap } from "../api/auth.js";
import { session, startSession } from "../state/session.js";
import { LoadingBlock } from "../components/Spinner.js";
import { AuthCard, FormError } from "./AuthCard.js";

/** @param {{token: string, onFinished: () => void}} props `onFinished` forgets the token */
export function BootstrapPage({ token, onFinished }) {
  const [error, setError] = useState(null);
  useEffect(() => {
    let cancelled = false;
    bootstrap(token).then(
      (data) => {
        if (cancelled) return;
        onFinished();
        startSession(data, { viaBootstrap: true });
      },
      (err) => !cancelled && setError(err),
    );
    return () => {
      cancelled = true;
    };
  }, [token]);

  if (!error) {
    return html`<${AuthCard} title="Signing you in…"><${LoadingBlock} label="Checking the first-run link…" /></${AuthCard}>`;
  }
  const toLogin = () => {
    onFinished();
    session.set({ status: "signed-out", user: null, viaBootstrap: false, reason: "" });
  };
  return html`<${AuthCard} title="This sign-in link cannot be used"
      subtitle="First-run links work once and expire after 10 minutes.">
    <${FormError} error=${error} />
    <p class="auth-text">Sign in with user <strong>admin</strong> and the password printed in the console
      (also saved as <code>initial-admin-password</code> in the data directory).</p>
    <button type="button" class="button button-primary button-block" onClick=${toLogin}>Go to sign-in</button>
  </${AuthCard}>`;
}
