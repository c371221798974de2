import { factorCodeField } from "../../core/pages/factor-code-field.js";
import { accountLinks, type FormState, field, usernameField } from "../../core/pages/views.js";
import { type Html, html, page } from "../../platform/pages/html.js";
import { EMAIL_CHANGE_PAGE_PATH, VERIFY_PAGE_PATH } from "./messages.js";

/**
 * The pages of verified addresses and email changes: the page a mailed link
 * opens (a button that POSTs the token: opening the link changes nothing, so
 * a mail scanner that fetches it changes nothing), what a link that does not
 * work says instead, the unverified address's banner and the change-email
 * section of /account, and the login page's "Send a new link".
 */

export type LinkPurpose = "verify" | "change";

/** The pages the mails' links open (their paths are the mails'). */
export const VERIFY_PATH = VERIFY_PAGE_PATH;
export const CONFIRM_CHANGE_PATH = EMAIL_CHANGE_PAGE_PATH;

/** The path of a link's page, with its token: what development hands back instead of a mail. */
export function linkPath(purpose: LinkPurpose, token: string): string {
  const path = purpose === "verify" ? VERIFY_PATH : CONFIRM_CHANGE_PATH;
  return `${path}?token=${encodeURIComponent(token)}`;
}

const LINK_PAGES = {
  verify: {
    title: "Verify your email address",
    what: "Press the button to confirm that this address is yours.",
    button: "Verify my email address",
  },
  change: {
    title: "Confirm your new email address",
    what: "Press the button to make this address your account's email. Your other sessions then end, and the old address no longer signs in.",
    button: "Use this email address",
  },
} as const;

/** The page a mailed link opens: the token in a hidden field, posted by the button. */
export function emailLinkView(state: {
  purpose: LinkPurpose;
  token: string;
  error?: string;
}): string {
  const text = LINK_PAGES[state.purpose];
  const action = state.purpose === "verify" ? VERIFY_PATH : CONFIRM_CHANGE_PATH;
  return page(
    { title: text.title, error: state.error },
    html`<p>${text.what}</p>
<form method="post" action="${action}">
<input type="hidden" name="token" value="${state.token}">
<button type="submit">${text.button}</button>
</form>
${accountLinks()}`,
  );
}

export type LinkProblem = "missing" | "invalid" | "taken";

/**
 * A link's page when the link cannot work: no button to press in vain, and
 * how to get a new one (a verification link: the form right here; a change:
 * the account page).
 */
export function emailLinkProblemView(purpose: LinkPurpose, problem: LinkProblem): string {
  const mail = purpose === "verify" ? "verification mail" : "confirmation mail";
  const error =
    problem === "missing"
      ? `This page needs the link from your ${mail}, and it came without one.`
      : problem === "taken"
        ? "Another account has this address by now, so your email address was not changed."
        : purpose === "verify"
          ? "This verification link does not work any more: it was used already, it has expired, or a newer one was sent."
          : "This confirmation link does not work any more: it was used already, it has expired, or a newer change was asked for.";
  const next =
    purpose === "verify"
      ? html`<h2>Ask for a new link</h2>
<form class="stacked" method="post" action="/account/verification">
${field({ name: "email", label: "Email", type: "email", autocomplete: "email" }, {}, undefined)}
<button type="submit">Send a new link</button>
</form>
<p class="hint">Verified already? Then just log in.</p>`
      : html`<p><a href="/account">${
          problem === "taken"
            ? "Choose another address on your account page"
            : "Ask for the change again on your account page"
        }</a></p>`;
  return page({ title: LINK_PAGES[purpose].title, error }, html`${next}\n${accountLinks()}`);
}

/** Development mode's stand-in for the mail: the link, on the page. */
function developmentLink(purpose: LinkPurpose, link: string | undefined): Html {
  if (link === undefined) return html``;
  const [id, text] =
    purpose === "verify"
      ? ["verification-link", "verify your email address"]
      : ["confirmation-link", "confirm your new email address"];
  return html`<p>Development mode hands the link back instead of mailing it:
<a id="${id}" href="${link}">${text}</a>.</p>`;
}

/** The login page's way to a new link: the email as typed, in a hidden field; no session needed. */
export function resendForm(email: string, link?: string): Html {
  return html`${developmentLink("verify", link)}
<form method="post" action="/account/verification">
<input type="hidden" name="email" value="${email}">
<button type="submit" class="secondary">Send a new link</button>
</form>`;
}

/**
 * The login page's refusal of an unverified address (EMAIL_VERIFICATION=
 * required). Development mails nothing, so it says where the link shows up.
 */
export function unverifiedLoginMessage(mailed: boolean): string {
  return mailed
    ? "Verify your email address first: follow the link mailed to it, or ask for a new one."
    : "Verify your email address first. Development mode mails no link: Send a new link shows one on this page.";
}

/** What registration says when the address must be verified before the first login. */
export function registeredUnverifiedNotice(mailed: boolean): string {
  return mailed
    ? "Account created. Check your mail: follow the link we sent to verify your address, then log in. It works for 24 hours."
    : "Account created. Verify your address before you log in. Development mode mails no link: Send a new link shows one on this page.";
}

/** What the login page shows after "Send a new link": development's link, or nothing more. */
export function sentLink(link: string | undefined): Html {
  return developmentLink("verify", link);
}

/** /account's banner while the address is not verified (EMAIL_VERIFICATION on). */
export function verificationBanner(link?: string): Html {
  return html`<div class="banner">
<p><strong>Your email address is not verified.</strong> Follow the link mailed to it, or ask for a new one.</p>
${developmentLink("verify", link)}
<form method="post" action="/account/verification">
<button type="submit" class="secondary">Send a new link</button>
</form>
</div>`;
}

export interface EmailChangeState extends FormState {
  /** The account's address. */
  email: string;
  /** The address typed into the form, kept after an error. */
  newEmail?: string;
  /** Development: the confirmation link, in place of the mail. */
  confirmationLink?: string;
  /** The account has a second factor: the change takes a current code too. */
  needsCode?: boolean;
}

/** /account's change-email section: the new address and the password; a link then goes to the new address. */
export function emailChangeSection(state: EmailChangeState): Html {
  // The fields take the focus only when one of them is in error.
  const fieldState = state.errorField ? state : {};
  return html`<h2>Change your email address</h2>
${developmentLink("change", state.confirmationLink)}
<form class="stacked" method="post" action="/account/email">
${usernameField(state.email)}
${field(
  {
    name: "new_email",
    label: "New email address",
    type: "email",
    autocomplete: "email",
    value: state.newEmail ?? "",
    hintId: "new-email-hint",
  },
  fieldState,
  undefined,
)}
<p class="hint" id="new-email-hint">A link goes to the new address; nothing changes until it is followed. Your other sessions then end.</p>
${field(
  {
    name: "email_password",
    label: "Your password, to change the email",
    type: "password",
    autocomplete: "current-password",
  },
  fieldState,
  undefined,
)}
${state.needsCode ? factorCodeField("email_code", fieldState) : ""}
<button type="submit">Change email</button>
</form>`;
}
