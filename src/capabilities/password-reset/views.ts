import {
  accountLinks,
  emailField,
  type FormState,
  field,
  options,
  usernameField,
} from "../../core/pages/views.js";
import { html, page } from "../../platform/pages/html.js";

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
${emailField(state)}
<button type="submit">Send me a reset link</button>
</form>
${accountLinks("/account/forgot")}`,
  );
}

/**
 * The reset form. The token names its account, so the form asks only for the
 * new password (the hidden token is all the server needs); `state.email`, the
 * account of a live token, is there for password managers alone.
 */
export function resetView(state: FormState & { token: string }, minLength: number): string {
  return page(
    options("Choose a new password", state),
    html`<form class="stacked" method="post" action="/account/reset">
<input type="hidden" name="reset_token" value="${state.token}">
${state.email === undefined ? "" : usernameField(state.email)}
${field(
  {
    name: "new_password",
    label: "New password",
    type: "password",
    autocomplete: "new-password",
    hintId: "password-hint",
  },
  state,
  "new_password",
)}
<p class="hint" id="password-hint">At least ${minLength} characters. Every session of the account ends.</p>
<button type="submit">Set the new password</button>
</form>
${accountLinks()}`,
  );
}

/** The reset page without a usable link: no form to fill in vain, a way to ask for a new link. */
export function resetLinkProblemView(problem: "missing" | "invalid"): string {
  const error =
    problem === "missing"
      ? "This page needs the link from your reset mail, and it came without one."
      : "This reset link does not work any more: it was used already, or it has expired.";
  return page(
    { title: "Choose a new password", error },
    html`<p><a href="/account/forgot">Ask for a new reset link</a></p>
${accountLinks()}`,
  );
}
