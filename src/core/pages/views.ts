import { ERROR_ID, type Html, html, type PageOptions, page } from "../../platform/pages/html.js";
import type { SessionInfo } from "../session.js";
import type { PageContext } from "./page-context.js";
import { withReturnTo } from "./return-to.js";
import { richText } from "./rich-text.js";

/** The fields of the forms, by their names. */
export type FieldName =
  | "email"
  | "password"
  | "new_password"
  | "current_password"
  // Two-factor authentication's (mfa-views.ts): the login's codes, the account page's passwords.
  | "code"
  | "recovery_code"
  | "recovery_codes_password"
  | "recovery_codes_code"
  | "mfa_off_password"
  | "mfa_off_code"
  // The email change's (email-views.ts).
  | "new_email"
  | "email_password"
  | "email_code"
  // The account's deletion's (hosted-pages' own-data-views.ts).
  | "delete_password"
  | "delete_code";

/** What the form pages are told besides their fields. */
export interface FormState {
  email?: string;
  notice?: string | undefined;
  error?: string | undefined;
  /** The field the error is about: it takes the focus and points to the message. */
  errorField?: FieldName | undefined;
  /** Where a sign-in goes once done (checked already: return-to.ts), carried in the form. */
  returnTo?: string | undefined;
}

/** The pages anyone may open; each page's own is left out of its links. */
const PUBLIC_PAGES = [
  ["/account/register", "nav.register"],
  ["/account/login", "nav.login"],
  ["/account/forgot", "nav.forgot"],
] as const;

/** `returnTo`: the sign-in pages' links keep it, so a registration started from the login page keeps it too. */
export function accountLinks(ctx: PageContext, current?: string, returnTo?: string): Html {
  const links = PUBLIC_PAGES.filter(([path]) => path !== current).map(
    ([path, label]) =>
      html`<a href="${path === "/account/forgot" ? path : withReturnTo(path, returnTo)}">${ctx.t(label)}</a>\n`,
  );
  return html`<nav aria-label="${ctx.t("nav.label")}">
${links}</nav>`;
}

interface FieldSpec {
  name: FieldName;
  label: string;
  /** "text" is for codes: short, never corrected or capitalised by the keyboard. */
  type: "email" | "password" | "text";
  autocomplete: string;
  /** The keyboard a phone shows: digits for a TOTP code. */
  inputmode?: "numeric" | "text";
  value?: string;
  hintId?: string;
}

const MAX_LENGTH = { email: 254, password: 1024, text: 32 } as const;

/**
 * A labelled input. The focus goes to the field in error, else to the first
 * field of the form (`focus`); the field in error is marked invalid and
 * described by the message.
 */
export function field(spec: FieldSpec, state: FormState, focus: FieldName | undefined): Html {
  const invalid = state.errorField === spec.name;
  const describedBy = [invalid ? ERROR_ID : undefined, spec.hintId].filter(Boolean).join(" ");
  const autofocus = (state.errorField ?? focus) === spec.name;
  const maxlength = MAX_LENGTH[spec.type];
  return html`<label for="${spec.name}">${spec.label}</label>
<input id="${spec.name}" name="${spec.name}" type="${spec.type}" autocomplete="${spec.autocomplete}" required maxlength="${maxlength}"${
    spec.inputmode ? html` inputmode="${spec.inputmode}"` : ""
  }${spec.type === "text" ? html` autocapitalize="none" spellcheck="false"` : ""}${
    spec.value !== undefined ? html` value="${spec.value}"` : ""
  }${invalid ? html` aria-invalid="true"` : ""}${
    describedBy ? html` aria-describedby="${describedBy}"` : ""
  }${autofocus ? html` autofocus` : ""}>`;
}

/**
 * A hidden copy of the account's email in a form that asks for a password,
 * so password managers know whose password it is. No name: never submitted.
 */
export function usernameField(email: string): Html {
  return html`<input type="email" autocomplete="username" value="${email}" hidden readonly>`;
}

/** The checked return_to, sent again with the form (nothing when there is none). */
export function returnToField(returnTo: string | undefined): Html {
  return returnTo === undefined
    ? html``
    : html`<input type="hidden" name="return_to" value="${returnTo}">`;
}

/** `autocomplete`: the login page's also offers passkeys (autofill, "username webauthn"). */
export function emailField(ctx: PageContext, state: FormState, autocomplete = "email"): Html {
  const spec = {
    name: "email",
    label: ctx.t("field.email"),
    type: "email",
    autocomplete,
    value: state.email ?? "",
  } as const;
  return field(spec, state, "email");
}

export function options(title: string, state: FormState): PageOptions {
  return { title, notice: state.notice, error: state.error };
}

export function registerView(
  ctx: PageContext,
  state: FormState & { parts?: readonly Html[] },
  minLength: number,
): string {
  const { t } = ctx;
  return page(
    ctx.chrome,
    options(t("register.title"), state),
    html`<form class="stacked" method="post" action="/account/register">
${returnToField(state.returnTo)}
${emailField(ctx, state, "username webauthn")}
${field(
  {
    name: "password",
    label: t("field.password"),
    type: "password",
    autocomplete: "new-password",
    hintId: "password-hint",
  },
  state,
  undefined,
)}
<p class="hint" id="password-hint">${t("register.hint", { min: minLength })}</p>
<button type="submit">${t("register.submit")}</button>
</form>
${state.parts ?? ""}
${accountLinks(ctx, "/account/register", state.returnTo)}`,
  );
}

/** `extra`: what goes above the form (email-views.ts: a new verification link). */
/**
 * The login page; `parts`: what the capabilities add under the form (a
 * passkey sign-in).
 */
export function loginView(
  ctx: PageContext,
  state: FormState & { extra?: Html; parts?: readonly Html[] },
): string {
  const { t } = ctx;
  return page(
    ctx.chrome,
    options(t("login.title"), state),
    html`${state.extra ?? ""}
<form class="stacked" method="post" action="/account/login">
${returnToField(state.returnTo)}
${emailField(ctx, state, "username webauthn")}
${field(
  {
    name: "password",
    label: t("field.password"),
    type: "password",
    autocomplete: "current-password",
  },
  state,
  undefined,
)}
<button type="submit">${t("login.submit")}</button>
</form>
${state.parts ?? ""}
${accountLinks(ctx, "/account/login", state.returnTo)}`,
  );
}

export interface AccountState extends FormState {
  email: string;
  sessions: SessionInfo[];
  /** The capabilities' banners (an unverified address), at the top. */
  banners: readonly Html[];
  /** The capabilities' sections (the email change, the second factor), after the password's. */
  parts: readonly Html[];
}

/** One session, as a card of its own (a table would not fit a phone's width). */
function sessionItem(ctx: PageContext, session: SessionInfo): Html {
  const { t } = ctx;
  const device = describeUserAgent(ctx, session.userAgent);
  const created = session.createdAt;
  return html`<li>
<strong title="${session.userAgent ?? ""}">${device}</strong>
${session.ip ? html`<span>${t("account.address", { ip: session.ip })}</span>` : ""}
<span><time datetime="${created.toISOString()}">${t("account.signed_in_at", { at: created })}</time></span>
<span><time datetime="${session.lastSeenAt.toISOString()}">${t("account.last_seen_at", { at: session.lastSeenAt })}</time></span>
${
  session.current
    ? html`<em>${t("account.this_session")}</em>`
    : html`<form method="post" action="/account/sessions/${session.id}/revoke">
<button type="submit" class="secondary" aria-label="${t("account.revoke_label", { device, at: created })}">${t("account.revoke")}</button>
</form>`
}
</li>`;
}

export function accountView(ctx: PageContext, state: AccountState, minLength: number): string {
  const { t } = ctx;
  const items = state.sessions.map((session) => sessionItem(ctx, session));
  const others = state.sessions.some((session) => !session.current);
  // The forms' fields take the focus only when one of them is in error.
  const passwordState = state.errorField ? state : {};
  const signedInAs = richText(t("account.signed_in_as", { email: "\u0001email\u0001" }), {
    email: html`<strong id="account-email">${state.email}</strong>`,
  });
  return page(
    ctx.chrome,
    { title: t("account.title"), notice: state.notice, error: state.error },
    html`<p>${signedInAs}</p>
${state.banners}
<form method="post" action="/account/logout">
<button type="submit">${t("account.log_out")}</button>
</form>
<h2>${t("account.sessions")}</h2>
<p class="hint" id="sessions-caption">${t("account.sessions_caption")}</p>
<ul class="sessions" id="sessions" aria-describedby="sessions-caption">
${items}</ul>
${
  others
    ? html`<form method="post" action="/account/sessions/revoke-others">
<button type="submit" class="secondary">${t("account.revoke_others")}</button>
</form>`
    : ""
}
<h2>${t("account.password_heading")}</h2>
<form class="stacked" method="post" action="/account/password">
${usernameField(state.email)}
${field(
  {
    name: "current_password",
    label: t("account.current_password"),
    type: "password",
    autocomplete: "current-password",
  },
  passwordState,
  undefined,
)}
${field(
  {
    name: "new_password",
    label: t("account.new_password"),
    type: "password",
    autocomplete: "new-password",
    hintId: "new-password-hint",
  },
  passwordState,
  undefined,
)}
<p class="hint" id="new-password-hint">${t("account.password_hint", { min: minLength })}</p>
<button type="submit">${t("account.change_password")}</button>
</form>
${state.parts}`,
  );
}

const BROWSERS: Array<[RegExp, string]> = [
  [/Edg\/(\d+)/, "Edge"],
  [/Firefox\/(\d+)/, "Firefox"],
  [/Chrom(?:e|ium)\/(\d+)/, "Chrome"],
  [/Version\/(\d+).*Safari\//, "Safari"],
];
const SYSTEMS: Array<[RegExp, string]> = [
  [/Android/, "Android"],
  [/iPhone|iPad/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X/, "macOS"],
  [/Linux/, "Linux"],
];

/** "Chrome 156 on Linux" from a user agent; the raw string (shortened) when it is none of the usual ones. */
export function describeUserAgent(ctx: PageContext, userAgent: string | null): string {
  if (!userAgent) return ctx.t("account.unknown_device");
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent));
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (!browser) return userAgent.length > 60 ? `${userAgent.slice(0, 57)}...` : userAgent;
  const version = browser[0].exec(userAgent)?.[1] ?? "";
  return system
    ? ctx.t("account.device_on", { browser: browser[1], version, system })
    : ctx.t("account.device", { browser: browser[1], version });
}
