import { ERROR_ID, type Html, html, type PageOptions, page } from "../../platform/pages/html.js";
import type { SessionInfo } from "../session.js";
import { withReturnTo } from "./return-to.js";

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
  notice?: string;
  error?: string;
  /** The field the error is about: it takes the focus and points to the message. */
  errorField?: FieldName;
  /** Where a sign-in goes once done (checked already: return-to.ts), carried in the form. */
  returnTo?: string | undefined;
}

/** The pages anyone may open; each page's own is left out of its links. */
const PUBLIC_PAGES = [
  ["/account/register", "Create an account"],
  ["/account/login", "Log in"],
  ["/account/forgot", "Forgot your password?"],
] as const;

/** `returnTo`: the sign-in pages' links keep it, so a registration started from the login page keeps it too. */
export function accountLinks(current?: string, returnTo?: string): Html {
  const links = PUBLIC_PAGES.filter(([path]) => path !== current).map(
    ([path, label]) =>
      html`<a href="${path === "/account/forgot" ? path : withReturnTo(path, returnTo)}">${label}</a>\n`,
  );
  return html`<nav aria-label="Account pages">
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

export function emailField(state: FormState): Html {
  const spec = {
    name: "email",
    label: "Email",
    type: "email",
    autocomplete: "email",
    value: state.email ?? "",
  } as const;
  return field(spec, state, "email");
}

export function options(title: string, state: FormState): PageOptions {
  return { title, notice: state.notice, error: state.error };
}

export function registerView(state: FormState, minLength: number): string {
  return page(
    options("Create an account", state),
    html`<form class="stacked" method="post" action="/account/register">
${returnToField(state.returnTo)}
${emailField(state)}
${field(
  {
    name: "password",
    label: "Password",
    type: "password",
    autocomplete: "new-password",
    hintId: "password-hint",
  },
  state,
  undefined,
)}
<p class="hint" id="password-hint">At least ${minLength} characters. Long passphrases are welcome.</p>
<button type="submit">Create account</button>
</form>
${accountLinks("/account/register", state.returnTo)}`,
  );
}

/** `extra`: what goes above the form (email-views.ts: a new verification link). */
export function loginView(state: FormState & { extra?: Html }): string {
  return page(
    options("Log in", state),
    html`${state.extra ?? ""}
<form class="stacked" method="post" action="/account/login">
${returnToField(state.returnTo)}
${emailField(state)}
${field(
  { name: "password", label: "Password", type: "password", autocomplete: "current-password" },
  state,
  undefined,
)}
<button type="submit">Log in</button>
</form>
${accountLinks("/account/login", state.returnTo)}`,
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

export function accountView(state: AccountState, minLength: number): string {
  const rows = state.sessions.map(
    (session) => html`<tr>
<td title="${session.userAgent ?? ""}">${describeUserAgent(session.userAgent)}</td>
<td>${session.ip ?? ""}</td>
<td><time datetime="${session.createdAt.toISOString()}">${formatTime(session.createdAt)}</time></td>
<td><time datetime="${session.lastSeenAt.toISOString()}">${formatTime(session.lastSeenAt)}</time></td>
<td>${
      session.current
        ? html`<strong>this session</strong>`
        : html`<form method="post" action="/account/sessions/${session.id}/revoke">
<button type="submit" class="secondary" aria-label="Revoke the session of ${describeUserAgent(session.userAgent)}, signed in ${formatTime(session.createdAt)} UTC">Revoke</button>
</form>`
    }</td>
</tr>`,
  );
  const others = state.sessions.some((session) => !session.current);
  // The forms' fields take the focus only when one of them is in error.
  const passwordState = state.errorField ? state : {};
  return page(
    { title: "Your account", notice: state.notice, error: state.error },
    html`<p>Signed in as <strong id="account-email">${state.email}</strong>.</p>
${state.banners}
<form method="post" action="/account/logout">
<button type="submit">Log out</button>
</form>
<h2>Sessions</h2>
<table>
<caption class="hint">Every device signed in to this account. Revoke the ones you do not recognise.</caption>
<thead><tr><th scope="col">Device</th><th scope="col">Address</th><th scope="col">Signed in (UTC)</th><th scope="col">Last seen (UTC)</th><th scope="col"><span class="hint">Action</span></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${
  others
    ? html`<form method="post" action="/account/sessions/revoke-others">
<button type="submit" class="secondary">Sign out of all other sessions</button>
</form>`
    : ""
}
<h2>Change your password</h2>
<form class="stacked" method="post" action="/account/password">
${usernameField(state.email)}
${field(
  {
    name: "current_password",
    label: "Current password",
    type: "password",
    autocomplete: "current-password",
  },
  passwordState,
  undefined,
)}
${field(
  {
    name: "new_password",
    label: "New password",
    type: "password",
    autocomplete: "new-password",
    hintId: "new-password-hint",
  },
  passwordState,
  undefined,
)}
<p class="hint" id="new-password-hint">At least ${minLength} characters. Your other sessions end.</p>
<button type="submit">Change password</button>
</form>
${state.parts}`,
  );
}

function formatTime(date: Date): string {
  return date.toISOString().slice(0, 16).replace("T", " ");
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
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return "unknown device";
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent));
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (!browser) return userAgent.length > 60 ? `${userAgent.slice(0, 57)}...` : userAgent;
  const version = browser[0].exec(userAgent)?.[1];
  return `${browser[1]} ${version}${system ? ` on ${system}` : ""}`;
}
