import { brandedMail, languageOfMail, type MailKitOptions } from "../../core/mail/mail-kit.js";
import type { MailComposers } from "../../platform/mail/composer.js";
import { isMailableEmail } from "../../platform/mail/mailable.js";
import type { MailMessage } from "../../platform/mail/transport.js";
import { resetWords } from "./words.js";

/** Where the hosted page that takes a reset token lives, under PUBLIC_URL. */
export const RESET_PAGE_PATH = "/account/reset";

/**
 * The reset link is built from the configured public URL, never from the
 * request's Host header: a forged Host must not make us mail a link to the
 * attacker's site (password-reset poisoning).
 */
export function resetLink(publicUrl: string, token: string): string {
  return `${publicUrl}${RESET_PAGE_PATH}?token=${encodeURIComponent(token)}`;
}

export function resetMail(
  to: string,
  token: string,
  options: MailKitOptions & { lifetimeMinutes: number },
  language?: string | null,
): MailMessage {
  const t = resetWords.in(languageOfMail(language, options));
  const link = resetLink(options.publicUrl, token);
  return brandedMail(options, {
    to,
    subject: t("mail.subject"),
    paragraphs: [
      t("mail.asked"),
      "",
      t("mail.choose"),
      link,
      "",
      t("mail.token", { token }),
      "",
      t("mail.expires", { minutes: options.lifetimeMinutes }),
      t("mail.ignore"),
    ],
  });
}

/**
 * The reset mail. Its token is made when the mail is sent, at each attempt
 * (replacing the one a failed attempt made), so no usable token ever waits
 * in the outbox table.
 */
export function passwordResetMails(
  options: MailKitOptions & {
    lifetimeMinutes: number;
    /** A fresh reset token for the email's user; null when nobody has this email. */
    issueResetToken(email: string): Promise<{ token: string; email: string } | null>;
  },
): MailComposers<"password_reset"> {
  return {
    async password_reset({ email, language }) {
      const issued = await options.issueResetToken(email);
      if (!issued || !isMailableEmail(issued.email)) return null;
      return resetMail(issued.email, issued.token, options, language);
    },
  };
}
