import type { MailComposers } from "../../platform/mail/composer.js";
import type { MailMessage } from "../../platform/mail/transport.js";

/** The notices of changes to an account's passkeys, by mail kind. */
const PASSKEY_NOTICES = {
  passkey_added: {
    subject: "A passkey was added to your account",
    what: "A passkey was just added to this account: it signs in without the password, and counts as a second factor.",
  },
  passkey_removed: {
    subject: "A passkey was removed from your account",
    what: "A passkey was just removed from this account: it no longer signs in.",
  },
  passkey_counter_regression: {
    subject: "A passkey of your account was refused",
    what: "A sign-in with one of this account's passkeys was refused: its authenticator's counter went back, which happens when a passkey was copied. Remove that passkey and add it again.",
  },
} as const;

export type PasskeyNotice = keyof typeof PASSKEY_NOTICES;

function passkeyMail(to: string, kind: PasskeyNotice, options: { publicUrl: string }): MailMessage {
  const notice = PASSKEY_NOTICES[kind];
  return {
    to,
    subject: notice.subject,
    text: [
      notice.what,
      "",
      "If that was you, there is nothing to do.",
      `If it was not, reset your password at once: ${options.publicUrl}/account/forgot`,
      `and review the account's sessions and passkeys: ${options.publicUrl}/account`,
    ].join("\n"),
  };
}

/** The passkeys' mail: a notice of each change to them, and of a copied one refused. */
export function passkeyMails(options: { publicUrl: string }): MailComposers<PasskeyNotice> {
  const notice =
    (kind: PasskeyNotice) =>
    ({ email }: { email: string }) =>
      passkeyMail(email, kind, options);
  return {
    passkey_added: notice("passkey_added"),
    passkey_removed: notice("passkey_removed"),
    passkey_counter_regression: notice("passkey_counter_regression"),
  };
}
