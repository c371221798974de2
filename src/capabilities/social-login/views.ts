import type { PageContext } from "../../core/pages/page-context.js";
import { withReturnTo } from "../../core/pages/return-to.js";
import {
  type FormState,
  field,
  options,
  returnToField,
  usernameField,
} from "../../core/pages/views.js";
import { type Html, html, page } from "../../platform/pages/html.js";
import type { IdentityInfo } from "./admission.js";
import type { ProviderInfo } from "./providers.js";
import { socialWords } from "./words.js";

const wordsOf = (ctx: PageContext) => socialWords.in(ctx.lang);

/** "Continue with <name>" per provider: plain links, no script. */
export function continueLinks(
  ctx: PageContext,
  providers: readonly ProviderInfo[],
  returnTo: string | undefined,
): Html {
  if (providers.length === 0) return html``;
  const t = wordsOf(ctx);
  const links = providers.map(
    ({ id, name }) =>
      html`<li><a href="${withReturnTo(`/login/${id}`, returnTo)}">${t("login.continue", { name })}</a></li>`,
  );
  return html`<div id="social-login">
<p>${t("login.or")}</p>
<ul>
${links}
</ul>
</div>`;
}

/** A callback refused, or a provider out of reach: what happened, and back to the login page. */
export function callbackErrorView(ctx: PageContext, message: string, returnTo?: string): string {
  const t = wordsOf(ctx);
  return page(
    ctx.chrome,
    { title: t("callback.title"), error: message },
    html`<p><a href="${withReturnTo("/account/login", returnTo)}">${t("callback.start_again")}</a></p>`,
  );
}

export interface LinkPageState extends FormState {
  token: string;
  email: string;
  provider: string;
}

/** An account has the identity's email: its password (a field labelled "Password") before any link. */
export function linkPasswordView(ctx: PageContext, state: LinkPageState): string {
  const t = wordsOf(ctx);
  const { provider, email } = state;
  return page(
    ctx.chrome,
    options(t("link.title", { provider }), state),
    html`<p>${t("link.about", { email, provider })}</p>
<form class="stacked" method="post" action="/login/link">
<input type="hidden" name="token" value="${state.token}">
${returnToField(state.returnTo)}
${usernameField(email)}
${field(
  {
    name: "password",
    label: ctx.t("field.password"),
    type: "password",
    autocomplete: "current-password",
  },
  state,
  "password",
)}
<button type="submit">${t("link.submit")}</button>
</form>
<p class="hint">${t("link.no_password", { provider })}</p>`,
  );
}

/** The account's second step, before the link: a code (TOTP or recovery code). */
export function linkCodeView(
  ctx: PageContext,
  state: LinkPageState & { mfaToken: string },
): string {
  const t = wordsOf(ctx);
  return page(
    ctx.chrome,
    options(t("link.title", { provider: state.provider }), state),
    html`<p>${t("link.code_about")}</p>
<form class="stacked" method="post" action="/login/link/code">
<input type="hidden" name="token" value="${state.token}">
<input type="hidden" name="mfa_token" value="${state.mfaToken}">
${returnToField(state.returnTo)}
${field(
  {
    name: "code",
    label: t("link.code"),
    type: "text",
    autocomplete: "one-time-code",
    inputmode: "text",
  },
  state,
  "code",
)}
<button type="submit">${t("link.code_submit")}</button>
</form>`,
  );
}

/** /account's section: each linked identity with Unlink, and a link per provider not linked yet. */
export function identitySection(
  ctx: PageContext,
  state: {
    identities: readonly IdentityInfo[];
    providers: readonly ProviderInfo[];
    hasPassword: boolean;
    secondFactorOn: boolean;
    error?: string | undefined;
  },
): Html {
  const t = wordsOf(ctx);
  const names = new Map(state.providers.map((provider) => [provider.id, provider.name]));
  const items = state.identities.map(({ id, provider, email, linkedAt }) => {
    const shown = names.get(provider) ?? provider;
    const proof = state.hasPassword
      ? html`<label for="identity-password-${id}">${t("section.unlink_password", { provider: shown })}</label>
<input id="identity-password-${id}" name="password" type="password" autocomplete="current-password" required maxlength="1024">`
      : state.secondFactorOn
        ? html`<label for="identity-code-${id}">${t("section.unlink_code", { provider: shown })}</label>
<input id="identity-code-${id}" name="code" type="text" autocomplete="one-time-code" required maxlength="32">`
        : "";
    return html`<li>
<p>${t("section.linked", { provider: shown, email: email ?? "-", at: new Date(linkedAt) })}</p>
<form class="stacked" method="post" action="/account/identities/${id}/unlink">
${proof}
<button type="submit" class="secondary">${t("section.unlink")}</button>
</form>
</li>`;
  });
  const linked = new Set(state.identities.map((identity) => identity.provider));
  const links = state.providers
    .filter((provider) => !linked.has(provider.id))
    .map(
      ({ id, name }) =>
        html`<li><a href="/login/${id}?link=1">${t("section.link", { name })}</a></li>`,
    );
  return html`<section id="identities" aria-labelledby="identities-heading">
<h2 id="identities-heading">${t("section.heading")}</h2>
${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
${
  state.identities.length === 0
    ? html`<p>${t("section.none")}</p>`
    : html`<ul id="identity-list">
${items}
</ul>`
}
${links.length > 0 ? html`<ul>${links}</ul>` : ""}
</section>`;
}

/**
 * Link another, from a session older than 5 minutes: the password (and a
 * code when the account has a second factor) before the provider is asked;
 * an account without a password: its code, or a fresh sign-in.
 */
export function linkConfirmView(
  ctx: PageContext,
  state: FormState & {
    id: string;
    name: string;
    proof: "password" | "code" | "sign_in_again";
    secondFactorOn: boolean;
  },
): string {
  const t = wordsOf(ctx);
  const { id, name, proof } = state;
  if (proof === "sign_in_again")
    return page(
      ctx.chrome,
      options(t("confirm.title"), state),
      html`<p>${t("confirm.sign_in_again", { name })}</p>
<p><a href="/account">${ctx.t("account.title")}</a></p>`,
    );
  const password = field(
    {
      name: "password",
      label: ctx.t("field.password"),
      type: "password",
      autocomplete: "current-password",
    },
    state,
    "password",
  );
  const code = field(
    {
      name: "code",
      label: t("confirm.code"),
      type: "text",
      autocomplete: "one-time-code",
      inputmode: "text",
    },
    state,
    "code",
  );
  return page(
    ctx.chrome,
    options(t("confirm.title"), state),
    html`<p>${proof === "password" ? t("confirm.about", { name }) : t("confirm.about_code", { name })}</p>
<form class="stacked" method="post" action="/login/${id}/link">
${returnToField(state.returnTo)}
${proof === "password" ? password : ""}
${proof === "code" || state.secondFactorOn ? code : ""}
<button type="submit">${t("confirm.submit", { name })}</button>
</form>`,
  );
}
