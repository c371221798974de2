import { type Html, html } from "../../platform/pages/html.js";
import type { PasskeyInfo } from "./passkeys.js";

/**
 * The passkeys' parts of the hosted pages. Each works only with the script
 * (WebAuthn has no form of its own): it is hidden until the script, seeing a
 * browser that has passkeys, shows it; the pages' password forms work
 * without any script. The scripts are same-origin files (the CSP forbids
 * inline ones): @simplewebauthn/browser's bundle, then ours.
 */

export const WEBAUTHN_SCRIPT_PATH = "/account/passkeys/webauthn.js";
export const PASSKEYS_SCRIPT_PATH = "/account/passkeys/passkeys.js";

const scripts = html`<script src="${WEBAUTHN_SCRIPT_PATH}" defer></script>
<script src="${PASSKEYS_SCRIPT_PATH}" type="module"></script>`;

/** Where the script says what went wrong (a cancelled prompt, a refused answer). */
const errorBox = html`<p class="error" id="passkey-error" role="alert" hidden></p>`;

/** The login page's: "Sign in with a passkey" (and autofill, on the email field the page marks for it). */
export function passkeySignInPart(): Html {
  return html`<div id="passkey-sign-in" hidden>
<p>Or, without a password:</p>
<button type="button" id="passkey-sign-in-button">Sign in with a passkey</button>
</div>
${errorBox}
${scripts}`;
}

/**
 * The second step's: a passkey beside the code. The script posts the
 * passkey's answer as the code, with the mfa_token of the page's own form.
 */
export function passkeyStepPart(): Html {
  return html`<div id="passkey-step" hidden>
<button type="button" id="passkey-step-button" class="secondary">Use a passkey instead</button>
</div>
<form id="passkey-step-form" method="post" action="/account/login/mfa" hidden>
<input type="hidden" name="code" value="">
</form>
${errorBox}
${scripts}`;
}

export interface PasskeySectionState {
  passkeys: readonly PasskeyInfo[];
  /** The session was opened moments ago: adding or removing asks for no second factor. */
  recent: boolean;
  /** The account has a second factor (a code or a passkey) to ask for when the session is older. */
  hasFactor: boolean;
}

/** /account's section: the passkeys (name, created, last used), with Add, Rename and Remove. */
export function passkeySection(state: PasskeySectionState): Html {
  const { passkeys, recent, hasFactor } = state;
  const askFactor = !recent && hasFactor;
  const rows = passkeys.map(
    (passkey) => html`<tr>
<td>${passkey.name}</td>
<td><time datetime="${passkey.createdAt.toISOString()}">${formatTime(passkey.createdAt)}</time></td>
<td>${
      passkey.lastUsedAt
        ? html`<time datetime="${passkey.lastUsedAt.toISOString()}">${formatTime(passkey.lastUsedAt)}</time>`
        : "never"
    }</td>
<td>
<form class="inline" method="post" action="/account/passkeys/${passkey.id}/rename">
<label for="passkey-name-${passkey.id}">New name for ${passkey.name}</label>
<input id="passkey-name-${passkey.id}" name="name" type="text" required maxlength="64" value="${passkey.name}">
<button type="submit" class="secondary">Rename</button>
</form>
<form class="inline" method="post" action="/account/passkeys/${passkey.id}/remove">
<label for="passkey-password-${passkey.id}">Your password, to remove ${passkey.name}</label>
<input id="passkey-password-${passkey.id}" name="password" type="password" autocomplete="current-password" required maxlength="1024">
${askFactor ? factorField(`passkey-code-${passkey.id}`, `to remove ${passkey.name}`) : ""}
<button type="submit" class="secondary">Remove</button>
</form>
</td>
</tr>`,
  );
  const list =
    passkeys.length === 0
      ? html`<p id="passkey-none">No passkeys yet.</p>`
      : html`<table id="passkey-list">
<caption class="hint">Passkeys sign in without your password, and count as a second factor after it.</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Added (UTC)</th><th scope="col">Last used (UTC)</th><th scope="col"><span class="hint">Actions</span></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
  // Offered once, after a sign-in by password on a device that can hold a passkey (the script decides).
  const offer =
    passkeys.length === 0 && recent
      ? html`<div id="passkey-offer" hidden>
<p>Next time, sign in with this device's screen lock, fingerprint or face instead of your password?</p>
<button type="button" id="passkey-offer-yes">Yes, create a passkey</button>
<button type="button" id="passkey-offer-no" class="secondary">Not now</button>
</div>`
      : "";
  return html`<section id="passkeys" aria-labelledby="passkeys-heading">
<h2 id="passkeys-heading">Passkeys</h2>
${offer}
${list}
<div id="passkey-add" hidden>
<form class="stacked" id="passkey-add-form">
${
  recent
    ? ""
    : html`<label for="passkey-add-password">Your password, to add a passkey</label>
<input id="passkey-add-password" name="password" type="password" autocomplete="current-password" required maxlength="1024">`
}
${askFactor ? factorField("passkey-add-code", "to add a passkey") : ""}
<label for="passkey-add-name">Name of the new passkey (optional)</label>
<input id="passkey-add-name" name="name" type="text" maxlength="64" autocomplete="off">
<button type="submit" id="passkey-add-button">Add a passkey</button>
</form>
</div>
<p class="hint" id="passkey-unsupported">Adding a passkey needs a browser that has passkeys, with JavaScript on.</p>
${errorBox}
</section>
${scripts}`;
}

/** A second factor's field: a code typed, or (the script adds a button) a passkey. */
function factorField(id: string, purpose: string): Html {
  return html`<label for="${id}">A code from your authenticator app, a recovery code, or a passkey, ${purpose}</label>
<input id="${id}" name="code" type="text" autocomplete="one-time-code" inputmode="text" autocapitalize="none" spellcheck="false" required maxlength="32" data-passkey-factor>`;
}

/** As the account page's sessions show times (http/pages/views.ts, which imports this file). */
function formatTime(date: Date): string {
  return date.toISOString().slice(0, 16).replace("T", " ");
}
