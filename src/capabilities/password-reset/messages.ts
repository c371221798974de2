import type { MailComposers } from "../../platform/mail/composer.js";
import { isMailableEmail } from "../../platform/mail/mailable.js";
import type { MailMessage } from "../../platform/mail/transport.js";

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
  options: { publicUrl: string; lifetimeMinutes: number },
): MailMessage {
  return {
    to,
    subject: "Reset your password",
    text: [
      "Someone (we hope you) asked to reset the password of this account.",
      "",
      "Choose a new password here:",
      resetLink(options.publicUrl, token),
      "",
      `Or enter this reset token: ${token}`,
      "",
      `The link works once and expires in ${options.lifetimeMinutes} minutes.`,
      "If you did not ask for it, ignore this mail: your password stays as it is.",
    ].join("\n"),
  };
}

/**
 * The reset mail. Its token is made when the mail is sent, at each attempt
 * (replacing the one a failed attempt made), so no usable token ever waits
 * in the outbox table.
 */
export function passwordResetMails(options: {
  publicUrl: string;
  lifetimeMinutes: number;
  /** A fresh reset token for the email's user; null when nobody has this email. */
  issueResetToken(email: string): Promise<{ token: string; email: string } | null>;
}): MailComposers<"password_reset"> {
  return {
    async password_reset({ email }) {
      const issued = await options.issueResetToken(email);
      if (!issued || !isMailableEmail(issued.email)) return null;
      return resetMail(issued.email, issued.token, options);
    },
  };
}
