import type { SessionInfo } from "../../auth/session.js";
import { html, type PageOptions, page } from "./html.js";

/** What the form pages are told besides their fields. */
interface FormState {
  email?: string;
  notice?: string;
  error?: string;
}

const accountLinks = html`<nav>
<a href="/account/register">Create an account</a>
<a href="/account/login">Log in</a>
<a href="/account/forgot">Forgot your password?</a>
</nav>`;

/** Every form starts with the email, so it takes the focus. */
function emailField(value: string | undefined) {
  return html`<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="254"
 value="${value ?? ""}" autofocus>`;
}

function passwordField(
  name: "password" | "new_password",
  autocomplete: string,
  label: string,
  hintId?: string,
) {
  return html`<label for="${name}">${label}</label>
<input id="${name}" name="${name}" type="password" autocomplete="${autocomplete}" required maxlength="1024"${
    hintId ? html` aria-describedby="${hintId}"` : ""
  }>`;
}

function options(title: string, state: FormState): PageOptions {
  return { title, notice: state.notice, error: state.error };
}

export function registerView(state: FormState, minLength: number): string {
  return page(
    options("Create an account", state),
    html`<form class="stacked" method="post" action="/account/register">
${emailField(state.email)}
${passwordField("password", "new-password", "Password", "password-hint")}
<p class="hint" id="password-hint">At least ${minLength} characters. Long passphrases are welcome.</p>
<button type="submit">Create account</button>
</form>
${accountLinks}`,
  );
}

export function loginView(state: FormState): string {
  return page(
    options("Log in", state),
    html`<form class="stacked" method="post" action="/account/login">
${emailField(state.email)}
${passwordField("password", "current-password", "Password")}
<button type="submit">Log in</button>
</form>
${accountLinks}`,
  );
}

export function accountView(email: string, sessions: SessionInfo[], notice?: string): string {
  const rows = sessions.map(
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
  return page(
    { title: "Your account", notice },
    html`<p>Signed in as <strong id="account-email">${email}</strong>.</p>
<h2>Sessions</h2>
<table>
<caption class="hint">Every device signed in to this account. Revoke the ones you do not recognise.</caption>
<thead><tr><th scope="col">Device</th><th scope="col">Address</th><th scope="col">Signed in (UTC)</th><th scope="col">Last seen (UTC)</th><th scope="col"><span class="hint">Action</span></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<form method="post" action="/account/logout">
<button type="submit">Log out</button>
</form>`,
  );
}

export function forgotView(state: FormState & { resetLink?: string }): string {
  return page(
    options("Forgot your password?", state),
    html`${
      state.resetLink
        ? html`<p>Development mode hands the link back instead of mailing it:
<a id="reset-link" href="${state.resetLink}">choose a new password</a>.</p>`
        : ""
    }
<form class="stacked" method="post" action="/account/forgot">
${emailField(state.email)}
<button type="submit">Send me a reset link</button>
</form>
${accountLinks}`,
  );
}

export function resetView(state: FormState & { token: string }, minLength: number): string {
  return page(
    options("Choose a new password", state),
    html`<form class="stacked" method="post" action="/account/reset">
<input type="hidden" name="reset_token" value="${state.token}">
${emailField(state.email)}
${passwordField("new_password", "new-password", "New password", "password-hint")}
<p class="hint" id="password-hint">At least ${minLength} characters. Every session of the account ends.</p>
<button type="submit">Set the new password</button>
</form>
${accountLinks}`,
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
