import { factorCodeField } from "../../core/pages/factor-code-field.js";
import type { PageContext } from "../../core/pages/page-context.js";
import { withReturnTo } from "../../core/pages/return-to.js";
import { richText } from "../../core/pages/rich-text.js";
import {
  type FieldName,
  type FormState,
  field,
  returnToField,
  usernameField,
} from "../../core/pages/views.js";
import { type Html, html, page } from "../../platform/pages/html.js";
import type { SecondFactorStatus } from "./second-factor.js";
import { secondFactorWords } from "./words.js";

/**
 * The pages of two-factor authentication: the login's second step, the
 * section of /account, the set-up page and the recovery codes shown once.
 * Server-rendered like the others: no script, the QR code an image.
 */

const wordsOf = (ctx: PageContext) => secondFactorWords.in(ctx.lang);

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
/** The login's second step; `others`: what other kinds of factor add beside the code (a passkey). */
export function mfaStepView(
  ctx: PageContext,
  state: FormState & { mfaToken: string; others?: readonly Html[] },
): string {
  const t = wordsOf(ctx);
  const token = html`<input type="hidden" name="mfa_token" value="${state.mfaToken}">
${returnToField(state.returnTo)}`;
  const recovery = state.errorField === "recovery_code";
  return page(
    ctx.chrome,
    { title: t("step.title"), notice: state.notice, error: state.error },
    html`<p>${t("step.intro")}</p>
<form class="stacked" method="post" action="/account/login/mfa">
${token}
${totpField(state, t("step.code_label"), "code-hint", "code")}
<p class="hint" id="code-hint">${t("step.code_hint")}</p>
<button type="submit">${t("step.submit")}</button>
</form>
<details${recovery ? html` open` : ""}>
<summary>${t("step.use_recovery")}</summary>
<form class="stacked" method="post" action="/account/login/mfa">
${token}
${field(
  {
    name: "recovery_code",
    label: t("step.recovery_label"),
    type: "text",
    autocomplete: "off",
    inputmode: "text",
    hintId: "recovery-code-hint",
  },
  state,
  undefined,
)}
<p class="hint" id="recovery-code-hint">${t("step.recovery_hint")}</p>
<button type="submit">${t("step.recovery_submit")}</button>
</form>
</details>
${state.others ?? ""}
<p class="hint">${t("step.lost")}</p>
<p><a href="${withReturnTo("/account/login", state.returnTo)}">${t("step.start_again")}</a></p>`,
  );
}

/** The section of /account: the state, and the forms that change it. */
export function mfaSection(
  ctx: PageContext,
  state: FormState & { email: string; status: SecondFactorStatus },
): Html {
  const t = wordsOf(ctx);
  const stateWord = (on: boolean) =>
    html`<strong id="mfa-state">${t(on ? "section.state_on" : "section.state_off")}</strong>`;
  if (!state.status.totp) {
    return html`<h2>${t("section.heading")}</h2>
<p>${richText(t("section.off", { state: "\u0001state\u0001" }), { state: stateWord(false) })}</p>
<form method="post" action="/account/mfa/setup">
<button type="submit">${t("section.set_up")}</button>
</form>`;
  }
  const left = state.status.recoveryCodesLeft;
  // The fields take the focus only when one of them is in error.
  const fieldState = state.errorField ? state : {};
  return html`<h2>${t("section.heading")}</h2>
<p>${richText(t("section.on", { state: "\u0001state\u0001" }), { state: stateWord(true) })} <span id="recovery-codes-left">${t("section.codes_left", { count: left })}</span>${
    left <= 2 ? ` ${t("section.make_new")}` : ""
  }</p>
<form class="stacked" method="post" action="/account/mfa/recovery-codes">
${usernameField(state.email)}
${field(
  {
    name: "recovery_codes_password",
    label: t("section.codes_password"),
    type: "password",
    autocomplete: "current-password",
    hintId: "recovery-codes-hint",
  },
  fieldState,
  undefined,
)}
${factorCodeField(ctx, "recovery_codes_code", fieldState)}
<p class="hint" id="recovery-codes-hint">${t("section.codes_hint")}</p>
<button type="submit" class="secondary">${t("section.codes_submit")}</button>
</form>
<form class="stacked" method="post" action="/account/mfa/disable">
${usernameField(state.email)}
${field(
  {
    name: "mfa_off_password",
    label: t("section.off_password"),
    type: "password",
    autocomplete: "current-password",
    hintId: "mfa-off-hint",
  },
  fieldState,
  undefined,
)}
${factorCodeField(ctx, "mfa_off_code", fieldState)}
<p class="hint" id="mfa-off-hint">${t("section.off_hint")}</p>
<button type="submit" class="secondary">${t("section.off_submit")}</button>
</form>`;
}

export interface SetupState extends FormState {
  email: string;
  /** The secret in base32 and its QR code (a data: URL); absent when they cannot be shown again. */
  shown?: { secret: string; qrCode: string } | undefined;
}

/** Base32 in groups of four, as people copy it into an app. */
function grouped(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}

/** The set-up page: the QR code, the key to type instead, and the confirm form (code + password). */
export function mfaSetupView(ctx: PageContext, state: SetupState): string {
  const t = wordsOf(ctx);
  const { shown } = state;
  const key = shown
    ? html`<p>${t("setup.scan")}</p>
<img class="qr" src="${shown.qrCode}" alt="${t("setup.qr_alt")}" width="196" height="196">
<p>${t("setup.type_key")}</p>
<p><code class="secret" id="totp-secret">${grouped(shown.secret)}</code></p>`
    : html`<p>${t("setup.key_gone")}</p>
<form method="post" action="/account/mfa/setup">
<button type="submit" class="secondary">${t("setup.start_over")}</button>
</form>`;
  return page(
    ctx.chrome,
    { title: t("setup.title"), notice: state.notice, error: state.error },
    html`<p>${t("setup.intro")}</p>
<h2>${t("setup.step1")}</h2>
${key}
<h2>${t("setup.step2")}</h2>
<form class="stacked" method="post" action="/account/mfa/confirm">
${shown ? html`<input type="hidden" name="secret" value="${shown.secret}">` : ""}
${usernameField(state.email)}
${totpField(state, t("step.code_label"), "setup-code-hint")}
<p class="hint" id="setup-code-hint">${t("setup.code_hint")}</p>
${field(
  {
    name: "current_password",
    label: t("setup.current_password"),
    type: "password",
    autocomplete: "current-password",
  },
  state,
  undefined,
)}
<button type="submit">${t("setup.submit")}</button>
</form>
<p><a href="/account">${t("setup.cancel")}</a></p>`,
  );
}

/** The recovery codes, shown this once (after the set-up, or new ones). */
export function recoveryCodesView(
  ctx: PageContext,
  state: { codes: readonly string[]; notice: "codes.turned_on" | "codes.renewed" },
): string {
  const t = wordsOf(ctx);
  const items = state.codes.map((code) => html`<li><code>${code}</code></li>\n`);
  return page(
    ctx.chrome,
    { title: t("codes.title"), notice: t(state.notice) },
    html`<p>${t("codes.intro")} <strong>${t("codes.once")}</strong> ${t("codes.keep")}</p>
<ul class="codes" id="recovery-codes">
${items}</ul>
<p><a href="/account">${t("codes.back")}</a></p>`,
  );
}
