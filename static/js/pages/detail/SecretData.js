/**
 * A Secret's keys with masked values. Users whose role has `secrets:reveal` get a Reveal button;
 * revealing asks the server again with reveal=true (audited there) and shows decoded values.
 */
import { html, useState } from "../../lib/ui.js";
import { Icon } from "../../components/Icon.js";
import { CopyButton } from "../../components/CopyButton.js";
import { PropertyList, Section } from "../../components/Properties.js";

/** A base64 Secret value as UTF-8 text (binary data shows replacement marks). */
function decodeBase64(value) {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
  } catch {
    return value;
  }
}

/**
 * @param {{object: object, context: {can: {reveal: boolean}, reveal: () => Promise<object>}}} props
 *   `context.reveal` fetches the unmasked Secret (the page owns the API call)
 */
export function SecretData({ object, context }) {
  const [revealed, setRevealed] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const keys = Object.keys(object.data ?? {}).sort();

  const toggle = async () => {
    if (revealed) {
      setRevealed(null);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const full = await context.reveal();
      setRevealed(full.data ?? {});
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const action = context.can.reveal && keys.length > 0
    ? html`<button type="button" class="button" onClick=${toggle} disabled=${busy}>
        <${Icon} name=${revealed ? "eyeOff" : "eye"} size=${14} /> ${busy ? "Revealing…" : revealed ? "Hide values" : "Reveal values"}
      </button>`
    : null;

  return html`<${Section} title="Secret">
      <${PropertyList} rows=${[["Type", html`<span class="mono">${object.type ?? "Opaque"}</span>`], ["Keys", String(keys.length)]]} />
    </${Section}>
    <${Section} title="Data" actions=${action}>
      ${error && html`<div class="form-error" role="alert">${error.message}</div>`}
      ${keys.length === 0 ? html`<p class="muted">This Secret has no data.</p>` : html`<div class="secret-list" aria-label="Secret data">
        ${keys.map((key) => {
          const value = revealed ? decodeBase64(revealed[key] ?? "") : null;
          return html`<div class="secret-item" key=${key}>
            <div class="secret-key mono">${key}</div>
            ${value === null
              ? html`<div class="secret-value is-masked" aria-label=${`${key} (hidden)`}>••••••••••••</div>`
              : html`<div class="secret-value"><pre class="secret-text">${value}</pre><${CopyButton} text=${value} label=${`Copy ${key}`} /></div>`}
          </div>`;
        })}
      </div>`}
      ${!context.can.reveal && keys.length > 0 && html`<p class="muted small secret-note"><${Icon} name="shield" size=${12} /> Values are hidden. Your role cannot reveal Secret values.</p>`}
    </${Section}>`;
}
