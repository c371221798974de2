import type { MailComposers } from "../../platform/mail/composer.js";
import { isMailableEmail } from "../../platform/mail/mailable.js";
import type { MailMessage } from "../../platform/mail/transport.js";
import { escapeHtml } from "../../platform/text/html-escape.js";

/** The hosted pages that take a verification or change token; the page's button POSTs it. */
export const VERIFY_PAGE_PATH = "/account/verify";
export const EMAIL_CHANGE_PAGE_PATH = "/account/email/confirm";

/**
 * A link to verify an address or confirm a change to it, built from the
 * configured public URL only (never the request's Host). The page it opens
 * verifies nothing by itself: a mail scanner that fetches links changes nothing.
 */
export function emailLinkMail(
  to: string,
  token: string,
  purpose: "verify" | "change",
  options: { publicUrl: string },
): MailMessage {
  const path = purpose === "verify" ? VERIFY_PAGE_PATH : EMAIL_CHANGE_PAGE_PATH;
  const link = `${options.publicUrl}${path}?token=${encodeURIComponent(token)}`;
  const [subject, what, button] =
    purpose === "verify"
      ? ["Verify your email address", "Confirm that this address is yours:", "Verify my address"]
      : [
          "Confirm your new email address",
          "Someone (we hope you) asked to use this address for their account. Confirm it here:",
          "Use this address",
        ];
  const text = [
    what,
    link,
    "",
    "The link works once, for 24 hours. If you did not ask for it, ignore this mail.",
  ].join("\n");
  const html = [
    `<p>${escapeHtml(what)}</p>`,
    `<p><a href="${escapeHtml(link)}">${escapeHtml(button)}</a></p>`,
    "<p>The link works once, for 24 hours. If you did not ask for it, ignore this mail.</p>",
  ].join("\n");
  return { to, subject, text, html };
}

const EMAIL_NOTICES = {
  email_change_requested: {
    subject: "A change of your email address was asked for",
    what: "Someone signed in to your account asked to move it to another email address. Nothing changes unless the new address confirms it.",
  },
  email_changed: {
    subject: "Your email address was changed",
    what: "The email address of your account was just changed to another one, and its other sessions were signed out. This address no longer signs in.",
  },
} as const;

export type EmailNotice = keyof typeof EMAIL_NOTICES;

/** The notices the old address gets when a change is asked for, and when it is done. */
export function emailNoticeMail(
  to: string,
  kind: EmailNotice,
  options: { publicUrl: string },
): MailMessage {
  const notice = EMAIL_NOTICES[kind];
  const lines = [
    notice.what,
    "",
    "If that was you, there is nothing to do.",
    `If it was not, reset your password at once: ${options.publicUrl}/account/forgot`,
  ];
  return {
    to,
    subject: notice.subject,
    text: lines.join("\n"),
    html: lines
      .filter((line) => line !== "")
      .map((line) => `<p>${escapeHtml(line)}</p>`)
      .join("\n"),
  };
}

/** The kinds of mail about email addresses: links that carry a token, and notices to the old address. */
export type EmailAddressMailKind = "email_verification" | "email_change" | EmailNotice;

export function emailAddressMails(options: {
  publicUrl: string;
  /**
   * The token of a verification or email-change mail, made when it is sent
   * (`refId` names the request; null: a request for a new link, for whoever
   * has `email`); null when there is nobody to mail.
   */
  tokenForMail(
    refId: number | null,
    email: string,
  ): Promise<{ email: string; token: string; purpose: "verify" | "change" } | null>;
}): MailComposers<EmailAddressMailKind> {
  // As a reset token: made now, at each attempt, for the request the row names.
  const link = async ({ refId, email }: { refId: number | null; email: string }) => {
    const made = await options.tokenForMail(refId, email);
    if (!made || !isMailableEmail(made.email)) return null;
    return emailLinkMail(made.email, made.token, made.purpose, options);
  };
  return {
    email_verification: link,
    email_change: link,
    email_change_requested: ({ email }) =>
      emailNoticeMail(email, "email_change_requested", options),
    email_changed: ({ email }) => emailNoticeMail(email, "email_changed", options),
  };
}
