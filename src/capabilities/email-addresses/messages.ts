import {
  brandedMail,
  languageOfMail,
  type MailKitOptions,
  noticeMail,
} from "../../core/mail/mail-kit.js";
import type { MailComposers } from "../../platform/mail/composer.js";
import { isMailableEmail } from "../../platform/mail/mailable.js";
import type { MailMessage } from "../../platform/mail/transport.js";
import { emailWords } from "./words.js";

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
  options: MailKitOptions,
  language?: string | null,
): MailMessage {
  const t = emailWords.in(languageOfMail(language, options));
  const path = purpose === "verify" ? VERIFY_PAGE_PATH : EMAIL_CHANGE_PAGE_PATH;
  const link = `${options.publicUrl}${path}?token=${encodeURIComponent(token)}`;
  const [subject, what, button] =
    purpose === "verify"
      ? [t("mail.verify.subject"), t("mail.verify.what"), t("mail.verify.button")]
      : [t("mail.change.subject"), t("mail.change.what"), t("mail.change.button")];
  const mail = brandedMail(options, {
    to,
    subject,
    paragraphs: [what, "", t("mail.link_once")],
    button: { text: button, link },
  });
  // The text part: the link on a line of its own, after what it is for.
  const text = [what, link, "", ...mail.text.split("\n").slice(2)].join("\n");
  return { ...mail, text };
}

const EMAIL_NOTICES = {
  email_change_requested: {
    subject: "mail.email_change_requested.subject",
    what: "mail.email_change_requested.what",
  },
  email_changed: {
    subject: "mail.email_changed.subject",
    what: "mail.email_changed.what",
  },
} as const;

export type EmailNotice = keyof typeof EMAIL_NOTICES;

/** The notices the old address gets when a change is asked for, and when it is done. */
export function emailNoticeMail(
  to: string,
  kind: EmailNotice,
  options: MailKitOptions,
  language?: string | null,
): MailMessage {
  const t = emailWords.in(languageOfMail(language, options));
  return noticeMail(options, to, t, {
    ...EMAIL_NOTICES[kind],
    ifNotYou: "mail.if_not_you",
    resetAtOnce: "mail.reset_at_once",
  });
}

/** The kinds of mail about email addresses: links that carry a token, and notices to the old address. */
export type EmailAddressMailKind = "email_verification" | "email_change" | EmailNotice;

export function emailAddressMails(
  options: MailKitOptions & {
    /**
     * The token of a verification or email-change mail, made when it is sent
     * (`refId` names the request; null: a request for a new link, for whoever
     * has `email`); null when there is nobody to mail.
     */
    tokenForMail(
      refId: number | null,
      email: string,
    ): Promise<{ email: string; token: string; purpose: "verify" | "change" } | null>;
  },
): MailComposers<EmailAddressMailKind> {
  // As a reset token: made now, at each attempt, for the request the row names.
  const link = async ({
    refId,
    email,
    language,
  }: {
    refId: number | null;
    email: string;
    language: string | null;
  }) => {
    const made = await options.tokenForMail(refId, email);
    if (!made || !isMailableEmail(made.email)) return null;
    return emailLinkMail(made.email, made.token, made.purpose, options, language);
  };
  return {
    email_verification: link,
    email_change: link,
    email_change_requested: ({ email, language }) =>
      emailNoticeMail(email, "email_change_requested", options, language),
    email_changed: ({ email, language }) =>
      emailNoticeMail(email, "email_changed", options, language),
  };
}
