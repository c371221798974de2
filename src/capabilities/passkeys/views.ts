import type { PageContext } from "../../core/pages/page-context.js";
import { type Html, html } from "../../platform/pages/html.js";
import type { PasskeyInfo } from "./passkeys.js";
import { passkeyWords } from "./words.js";

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

const wordsOf = (ctx: PageContext) => passkeyWords.in(ctx.lang);

/**
 * Where the script says what went wrong (a cancelled prompt, a refused
 * answer), with the words it says it in: the page's language, as a JSON data
 * block (not executed, so the CSP that forbids inline scripts allows it).
 */
function errorBox(ctx: PageContext): Html {
  return html`<p class="error" id="passkey-error" role="alert" hidden></p>
<script type="application/json" id="passkey-words">${jsonData(scriptWords(ctx))}</script>`;
}

/** The error codes the JSON routes may answer the script with, and the pages' words for each. */
const SERVER_ERRORS = {
  invalid_passkey: "error.invalid_passkey",
  passkey_exists: "error.passkey_exists",
  passkey_limit: "error.passkey_limit",
  reauthentication_required: "error.reauthentication_required",
  user_verification_required: "error.user_verification_required",
  email_not_verified: "error.email_not_verified",
  invalid_credentials: "error.wrong_current_password",
  mfa_required: "error.code_required",
  invalid_code: "error.wrong_code",
  invalid_mfa_token: "error.invalid_mfa_token",
  busy: "error.busy",
  unavailable: "error.unavailable",
} as const;

/** What the script shows, in the page's language (browser-script.ts reads it). */
export function scriptWords(ctx: PageContext): Record<string, unknown> {
  const t = wordsOf(ctx);
  const errors: Record<string, string> = {};
  for (const [code, key] of Object.entries(SERVER_ERRORS)) errors[code] = ctx.t(key);
  return {
    cancelled: t("script.cancelled"),
    failed: t("script.failed"),
    throttled: t("script.throttled"),
    notSignedIn: t("script.not_signed_in"),
    useInsteadOfCode: t("script.use_instead_of_code"),
    errors,
  };
}

/**
 * JSON inside a <script> element: `<`, `>` and `&` as JSON escapes, so no
 * text can close the element or open a comment (JSON.parse reads them back).
 */
function jsonData(value: unknown): Html {
  const text = JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return { html: text };
}

/** The login page's: "Sign in with a passkey" (and autofill, on the email field the page marks for it). */
export function passkeySignInPart(ctx: PageContext): Html {
  const t = wordsOf(ctx);
  return html`<div id="passkey-sign-in" hidden>
<p>${t("login.or")}</p>
<button type="button" id="passkey-sign-in-button">${t("login.button")}</button>
</div>
${errorBox(ctx)}
${scripts}`;
}

/**
 * The second step's: a passkey beside the code. The script posts the
 * passkey's answer as the code, with the mfa_token of the page's own form.
 */
export function passkeyStepPart(ctx: PageContext): Html {
  const t = wordsOf(ctx);
  return html`<div id="passkey-step" hidden>
<button type="button" id="passkey-step-button" class="secondary">${t("step.button")}</button>
</div>
<form id="passkey-step-form" method="post" action="/account/login/mfa" hidden>
<input type="hidden" name="code" value="">
</form>
${errorBox(ctx)}
${scripts}`;
}

/**
 * A page that asks for a current code before a change (the account's
 * deletion): the script adds "Use a passkey instead of a code" beside it.
 */
export function passkeyFactorChoicePart(ctx: PageContext): Html {
  return html`<div id="passkey-factor-choice" hidden></div>
${errorBox(ctx)}
${scripts}`;
}

export interface PasskeySectionState {
  passkeys: readonly PasskeyInfo[];
  /** The session was opened moments ago: adding or removing asks for no second factor. */
  recent: boolean;
  /** The account has a second factor (a code or a passkey) to ask for when the session is older. */
  hasFactor: boolean;
}

/**
 * /account's section: the passkeys (name, added, last used), each with
 * Rename and Remove, as a list that fits a phone's width; and Add.
 */
export function passkeySection(ctx: PageContext, state: PasskeySectionState): Html {
  const t = wordsOf(ctx);
  const { passkeys, recent, hasFactor } = state;
  const askFactor = !recent && hasFactor;
  const items = passkeys.map(
    ({ id, name, createdAt, lastUsedAt }) => html`<li>
<p><strong>${name}</strong><br>
<span class="hint">${t("section.added", { at: createdAt })}, ${
      lastUsedAt ? t("section.last_used", { at: lastUsedAt }) : t("section.never_used")
    }</span></p>
<form class="stacked" method="post" action="/account/passkeys/${id}/rename">
<label for="passkey-name-${id}">${t("section.rename_label", { name })}</label>
<input id="passkey-name-${id}" name="name" type="text" required maxlength="64" value="${name}">
<button type="submit" class="secondary">${t("section.rename")}</button>
</form>
<form class="stacked" method="post" action="/account/passkeys/${id}/remove">
<label for="passkey-password-${id}">${t("section.remove_password", { name })}</label>
<input id="passkey-password-${id}" name="password" type="password" autocomplete="current-password" required maxlength="1024">
${askFactor ? factorField(ctx, `passkey-code-${id}`, t("section.remove_purpose", { name })) : ""}
<button type="submit" class="secondary">${t("section.remove")}</button>
</form>
</li>`,
  );
  const list =
    passkeys.length === 0
      ? html`<p id="passkey-none">${t("section.none")}</p>`
      : html`<p class="hint">${t("section.about")}</p>
<ul id="passkey-list">
${items}
</ul>`;
  // Offered once, after a sign-in by password on a device that can hold a passkey (the script decides).
  const offer =
    passkeys.length === 0 && recent
      ? html`<div id="passkey-offer" hidden>
<p>${t("section.offer")}</p>
<button type="button" id="passkey-offer-yes">${t("section.offer_yes")}</button>
<button type="button" id="passkey-offer-no" class="secondary">${t("section.offer_no")}</button>
</div>`
      : "";
  return html`<section id="passkeys" aria-labelledby="passkeys-heading">
<h2 id="passkeys-heading">${t("section.heading")}</h2>
${offer}
${list}
<div id="passkey-add" hidden>
<form class="stacked" id="passkey-add-form">
${
  recent
    ? ""
    : html`<label for="passkey-add-password">${t("section.add_password")}</label>
<input id="passkey-add-password" name="password" type="password" autocomplete="current-password" required maxlength="1024">`
}
${askFactor ? factorField(ctx, "passkey-add-code", t("section.add_purpose")) : ""}
<label for="passkey-add-name">${t("section.add_name")}</label>
<input id="passkey-add-name" name="name" type="text" maxlength="64" autocomplete="off">
<button type="submit" id="passkey-add-button">${t("section.add")}</button>
</form>
</div>
<p class="hint" id="passkey-unsupported">${t("section.unsupported")}</p>
${errorBox(ctx)}
</section>
${scripts}`;
}

/** A second factor's field: a code typed, or (the script adds a button) a passkey. */
function factorField(ctx: PageContext, id: string, purpose: string): Html {
  const label = wordsOf(ctx)("section.factor_label", { purpose });
  return html`<label for="${id}">${label}</label>
<input id="${id}" name="code" type="text" autocomplete="one-time-code" inputmode="text" autocapitalize="none" spellcheck="false" required maxlength="32" data-passkey-factor>`;
}
