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

/** The notice after the owner deleted the account: sent to the address it had. */
export function accountDeletedMail(to: string): MailMessage {
  return {
    to,
    subject: "Your account was deleted",
    text: [
      "The account of this address was just deleted, with everything the service kept about it, and its sessions were signed out.",
      "",
      "If that was you, there is nothing to do.",
      "If it was not, someone knew your password: change it wherever else you use it.",
    ].join("\n"),
  };
}

/** The core's own mail: the notices after a password change and after an account's deletion. */
export function coreMails(options: {
  publicUrl: string;
}): MailComposers<"password_changed" | "account_deleted"> {
  return {
    password_changed: ({ email }) => passwordChangedMail(email, options),
    account_deleted: ({ email }) => accountDeletedMail(email),
  };
}
