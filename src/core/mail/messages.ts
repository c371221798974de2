import type { MailComposers } from "../../platform/mail/composer.js";
import type { MailMessage } from "../../platform/mail/transport.js";

export function passwordChangedMail(to: string, options: { publicUrl: string }): MailMessage {
  return {
    to,
    subject: "Your password was changed",
    text: [
      "The password of this account was just changed, and its other sessions were signed out.",
      "",
      "If that was you, there is nothing to do.",
      `If it was not, reset your password at once: ${options.publicUrl}/account/forgot`,
    ].join("\n"),
  };
}

/** The core's own mail: the notice after a password change. */
export function coreMails(options: { publicUrl: string }): MailComposers<"password_changed"> {
  return { password_changed: ({ email }) => passwordChangedMail(email, options) };
}
