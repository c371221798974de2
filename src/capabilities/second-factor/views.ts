import { factorCodeField } from "../../core/pages/factor-code-field.js";
import { withReturnTo } from "../../core/pages/return-to.js";
import {
  type FieldName,
  type FormState,
  field,
  returnToField,
  usernameField,
} from "../../core/pages/views.js";
import { type Html, html, page } from "../../platform/pages/html.js";
import type { SecondFactorStatus } from "./second-factor.js";

/**
 * The pages of two-factor authentication: the login's second step, the
 * section of /account, the set-up page and the recovery codes shown once.
 * Server-rendered like the others: no script, the QR code an image.
 */

/** A TOTP code: six digits, so a phone shows its number pad, and the OS may fill it in. */
function totpField(state: FormState, label: string, hintId: string, focus?: FieldName): Html {
  const spec = {
    name: "code",
    label,
    type: "text",
    autocomplete: "one-time-code",
    inputmode: "numeric",
    hintId,
  } as const;
  return field(spec, state, focus);
}

/**
 * The login's second step. Both forms carry the mfa_token in a hidden field,
 * never in a URL. A recovery code has letters, so it has its own field (text
 * keyboard) in a <details> that opens without script; it is open when that
 * field is the one in error.
 */
export function mfaStepView(state: FormState & { mfaToken: string }): string {
  const token = html`<input type="hidden" name="mfa_token" value="${state.mfaToken}">
${returnToField(state.returnTo)}`;
  const recovery = state.errorField === "recovery_code";
  return page(
    { title: "Two-factor authentication", notice: state.notice, error: state.error },
    html`<p>Your password is right. Now type the code your authenticator app shows for this account.</p>
<form class="stacked" method="post" action="/account/login/mfa">
${token}
${totpField(state, "Code from your app", "code-hint", "code")}
<p class="hint" id="code-hint">Six digits; the app shows a new one every 30 seconds.</p>
<button type="submit">Log in</button>
</form>
<details${recovery ? html` open` : ""}>
<summary>Use a recovery code instead</summary>
<form class="stacked" method="post" action="/account/login/mfa">
${token}
${field(
  {
    name: "recovery_code",
    label: "Recovery code",
    type: "text",
    autocomplete: "off",
    inputmode: "text",
    hintId: "recovery-code-hint",
  },
  state,
  undefined,
)}
<p class="hint" id="recovery-code-hint">One of the codes you saved when you set up two-factor authentication, such as abcde-12345. Each works once.</p>
<button type="submit">Log in with the recovery code</button>
</form>
</details>
<p class="hint">Lost your device and your recovery codes? An administrator can turn two-factor authentication off for your account.</p>
<p><a href="${withReturnTo("/account/login", state.returnTo)}">Start again</a></p>`,
  );
}

/** The section of /account: the state, and the forms that change it. */
export function mfaSection(state: FormState & { email: string; status: SecondFactorStatus }): Html {
  if (!state.status.totp) {
    return html`<h2>Two-factor authentication</h2>
<p>Two-factor authentication is <strong id="mfa-state">off</strong>. With it on, logging in also asks for a code from an app on your phone, so your password alone is not enough.</p>
<form method="post" action="/account/mfa/setup">
<button type="submit">Set up two-factor authentication</button>
</form>`;
  }
  const left = state.status.recoveryCodesLeft;
  const counted = `${left} recovery ${left === 1 ? "code" : "codes"} left.`;
  // The fields take the focus only when one of them is in error.
  const fieldState = state.errorField ? state : {};
  return html`<h2>Two-factor authentication</h2>
<p>Two-factor authentication is <strong id="mfa-state">on</strong>: logging in asks for a code from your authenticator app. <span id="recovery-codes-left">${counted}</span>${
    left <= 2 ? " Make new ones before you run out." : ""
  }</p>
<form class="stacked" method="post" action="/account/mfa/recovery-codes">
${usernameField(state.email)}
${field(
  {
    name: "recovery_codes_password",
    label: "Your password, for new recovery codes",
    type: "password",
    autocomplete: "current-password",
    hintId: "recovery-codes-hint",
  },
  fieldState,
  undefined,
)}
${factorCodeField("recovery_codes_code", fieldState)}
<p class="hint" id="recovery-codes-hint">Ten new codes replace the ones you have.</p>
<button type="submit" class="secondary">New recovery codes</button>
</form>
<form class="stacked" method="post" action="/account/mfa/disable">
${usernameField(state.email)}
${field(
  {
    name: "mfa_off_password",
    label: "Your password, to turn it off",
    type: "password",
    autocomplete: "current-password",
    hintId: "mfa-off-hint",
  },
  fieldState,
  undefined,
)}
${factorCodeField("mfa_off_code", fieldState)}
<p class="hint" id="mfa-off-hint">Logging in then asks for your password only; the recovery codes stop working.</p>
<button type="submit" class="secondary">Turn off two-factor authentication</button>
</form>`;
}

export interface SetupState extends FormState {
  email: string;
  /** The secret in base32 and its QR code (a data: URL); absent when they cannot be shown again. */
  shown?: { secret: string; qrCode: string };
}

/** Base32 in groups of four, as people copy it into an app. */
function grouped(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}

/** The set-up page: the QR code, the key to type instead, and the confirm form (code + password). */
export function mfaSetupView(state: SetupState): string {
  const { shown } = state;
  const key = shown
    ? html`<p>Scan this QR code with your authenticator app:</p>
<img class="qr" src="${shown.qrCode}" alt="QR code of the key below, for your authenticator app" width="196" height="196">
<p>Or, if you cannot scan it, type this key into the app:</p>
<p><code class="secret" id="totp-secret">${grouped(shown.secret)}</code></p>`
    : html`<p>The key cannot be shown again here. If your app does not have it yet, start over for a new one.</p>
<form method="post" action="/account/mfa/setup">
<button type="submit" class="secondary">Start over</button>
</form>`;
  return page(
    { title: "Set up two-factor authentication", notice: state.notice, error: state.error },
    html`<p>An authenticator app on your phone (Google Authenticator, Microsoft Authenticator, Aegis, 1Password...) makes a new six-digit code every 30 seconds. Once this is on, logging in asks for one after your password.</p>
<h2>1. Add this account to your app</h2>
${key}
<h2>2. Confirm with a code</h2>
<form class="stacked" method="post" action="/account/mfa/confirm">
${shown ? html`<input type="hidden" name="secret" value="${shown.secret}">` : ""}
${usernameField(state.email)}
${totpField(state, "Code from your app", "setup-code-hint")}
<p class="hint" id="setup-code-hint">The six digits the app shows now for this account.</p>
${field(
  {
    name: "current_password",
    label: "Current password",
    type: "password",
    autocomplete: "current-password",
  },
  state,
  undefined,
)}
<button type="submit">Turn on two-factor authentication</button>
</form>
<p><a href="/account">Cancel</a></p>`,
  );
}

/** The recovery codes, shown this once (after the set-up, or new ones). */
export function recoveryCodesView(state: { codes: readonly string[]; notice: string }): string {
  const items = state.codes.map((code) => html`<li><code>${code}</code></li>\n`);
  return page(
    { title: "Your recovery codes", notice: state.notice },
    html`<p>Each code logs you in once in place of a code from your app, if you lose your phone. <strong>They are shown only this once:</strong> keep them somewhere safe, such as a password manager, or print them.</p>
<ul class="codes" id="recovery-codes">
${items}</ul>
<p><a href="/account">Back to your account</a></p>`,
  );
}
