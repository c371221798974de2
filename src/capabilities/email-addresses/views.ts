import { factorCodeField } from "../../core/pages/factor-code-field.js";
import type { PageContext } from "../../core/pages/page-context.js";
import { richText } from "../../core/pages/rich-text.js";
import { accountLinks, type FormState, field, usernameField } from "../../core/pages/views.js";
import { type Html, html, page } from "../../platform/pages/html.js";
import { EMAIL_CHANGE_PAGE_PATH, VERIFY_PAGE_PATH } from "./messages.js";
import { emailWords } from "./words.js";

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
  verify: { title: "link.verify.title", what: "link.verify.what", button: "link.verify.button" },
  change: { title: "link.change.title", what: "link.change.what", button: "link.change.button" },
} as const;

const wordsOf = (ctx: PageContext) => emailWords.in(ctx.lang);

/** The page a mailed link opens: the token in a hidden field, posted by the button. */
export function emailLinkView(
  ctx: PageContext,
  state: { purpose: LinkPurpose; token: string; error?: string },
): string {
  const t = wordsOf(ctx);
  const text = LINK_PAGES[state.purpose];
  const action = state.purpose === "verify" ? VERIFY_PATH : CONFIRM_CHANGE_PATH;
  return page(
    ctx.chrome,
    { title: t(text.title), error: state.error },
    html`<p>${t(text.what)}</p>
<form method="post" action="${action}">
<input type="hidden" name="token" value="${state.token}">
<button type="submit">${t(text.button)}</button>
</form>
${accountLinks(ctx)}`,
  );
}

export type LinkProblem = "missing" | "invalid" | "taken";

/**
 * A link's page when the link cannot work: no button to press in vain, and
 * how to get a new one (a verification link: the form right here; a change:
 * the account page).
 */
export function emailLinkProblemView(
  ctx: PageContext,
  purpose: LinkPurpose,
  problem: LinkProblem,
): string {
  const t = wordsOf(ctx);
  const error =
    problem === "missing"
      ? t("problem.missing", { purpose })
      : problem === "taken"
        ? t("problem.taken")
        : purpose === "verify"
          ? t("problem.invalid_verify")
          : t("problem.invalid_change");
  const next =
    purpose === "verify"
      ? html`<h2>${t("problem.ask_new")}</h2>
<form class="stacked" method="post" action="/account/verification">
${field({ name: "email", label: ctx.t("field.email"), type: "email", autocomplete: "email" }, {}, undefined)}
<button type="submit">${t("problem.send_new")}</button>
</form>
<p class="hint">${t("problem.verified_already")}</p>`
      : html`<p><a href="/account">${
          problem === "taken" ? t("problem.choose_other") : t("problem.ask_again")
        }</a></p>`;
  return page(
    ctx.chrome,
    { title: t(LINK_PAGES[purpose].title), error },
    html`${next}\n${accountLinks(ctx)}`,
  );
}

/** Development mode's stand-in for the mail: the link, on the page. */
function developmentLink(ctx: PageContext, purpose: LinkPurpose, link: string | undefined): Html {
  if (link === undefined) return html``;
  const t = wordsOf(ctx);
  const [id, text] =
    purpose === "verify"
      ? ["verification-link", t("dev.verify")]
      : ["confirmation-link", t("dev.change")];
  return html`<p>${richText(t("dev.link", { link: "\u0001link\u0001" }), {
    link: html`<a id="${id}" href="${link}">${text}</a>`,
  })}</p>`;
}

/** The login page's way to a new link: the email as typed, in a hidden field; no session needed. */
export function resendForm(ctx: PageContext, email: string, link?: string): Html {
  return html`${developmentLink(ctx, "verify", link)}
<form method="post" action="/account/verification">
<input type="hidden" name="email" value="${email}">
<button type="submit" class="secondary">${wordsOf(ctx)("resend.button")}</button>
</form>`;
}

/**
 * The login page's refusal of an unverified address (EMAIL_VERIFICATION=
 * required). Development mails nothing, so it says where the link shows up.
 */
export function unverifiedLoginMessage(ctx: PageContext, mailed: boolean): string {
  return wordsOf(ctx)(mailed ? "unverified.mailed" : "unverified.development");
}

/** What registration says when the address must be verified before the first login. */
export function registeredUnverifiedNotice(ctx: PageContext, mailed: boolean): string {
  return wordsOf(ctx)(mailed ? "registered.mailed" : "registered.development");
}

/** What the login page shows after "Send a new link": development's link, or nothing more. */
export function sentLink(ctx: PageContext, link: string | undefined): Html {
  return developmentLink(ctx, "verify", link);
}

/** /account's banner while the address is not verified (EMAIL_VERIFICATION on). */
export function verificationBanner(ctx: PageContext, link?: string): Html {
  const t = wordsOf(ctx);
  return html`<div class="banner">
<p><strong>${t("banner.unverified")}</strong> ${t("banner.follow")}</p>
${developmentLink(ctx, "verify", link)}
<form method="post" action="/account/verification">
<button type="submit" class="secondary">${t("resend.button")}</button>
</form>
</div>`;
}

export interface EmailChangeState extends FormState {
  /** The account's address. */
  email: string;
  /** The address typed into the form, kept after an error. */
  newEmail?: string | undefined;
  /** Development: the confirmation link, in place of the mail. */
  confirmationLink?: string | undefined;
  /** The account has a second factor: the change takes a current code too. */
  needsCode?: boolean;
}

/** /account's change-email section: the new address and the password; a link then goes to the new address. */
export function emailChangeSection(ctx: PageContext, state: EmailChangeState): Html {
  const t = wordsOf(ctx);
  // The fields take the focus only when one of them is in error.
  const fieldState = state.errorField ? state : {};
  return html`<h2>${t("change.heading")}</h2>
${developmentLink(ctx, "change", state.confirmationLink)}
<form class="stacked" method="post" action="/account/email">
${usernameField(state.email)}
${field(
  {
    name: "new_email",
    label: t("change.new_email"),
    type: "email",
    autocomplete: "email",
    value: state.newEmail ?? "",
    hintId: "new-email-hint",
  },
  fieldState,
  undefined,
)}
<p class="hint" id="new-email-hint">${t("change.hint")}</p>
${field(
  {
    name: "email_password",
    label: t("change.password"),
    type: "password",
    autocomplete: "current-password",
  },
  fieldState,
  undefined,
)}
${state.needsCode ? factorCodeField(ctx, "email_code", fieldState) : ""}
<button type="submit">${t("change.submit")}</button>
</form>`;
}
