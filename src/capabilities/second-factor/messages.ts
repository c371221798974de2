import type { MailComposers } from "../../platform/mail/composer.js";
import type { MailMessage } from "../../platform/mail/transport.js";

/** The notices of changes to an account's second factor, by mail kind. */
const SECOND_FACTOR_NOTICES = {
  second_factor_added: {
    subject: "Two-factor authentication was turned on",
    what: "Two-factor authentication was just turned on for this account: logins now ask for a code from an authenticator app.",
  },
  second_factor_removed: {
    subject: "Two-factor authentication was turned off",
    what: "Two-factor authentication was just turned off for this account: logins now ask for the password only.",
  },
  recovery_code_used: {
    subject: "A recovery code was used to sign in",
    what: "A recovery code was just used to sign in to this account. Each code works once; make new ones on your account page when few are left.",
  },
} as const;

export type SecondFactorNotice = keyof typeof SECOND_FACTOR_NOTICES;

export function secondFactorMail(
  to: string,
  kind: SecondFactorNotice,
  options: { publicUrl: string },
): MailMessage {
  const notice = SECOND_FACTOR_NOTICES[kind];
  return {
    to,
    subject: notice.subject,
    text: [
      notice.what,
      "",
      "If that was you, there is nothing to do.",
      `If it was not, reset your password at once: ${options.publicUrl}/account/forgot`,
      `and review the account's sessions and two-factor settings: ${options.publicUrl}/account`,
    ].join("\n"),
  };
}

/** The second factor's mail: a notice of each change to it. */
export function secondFactorMails(options: {
  publicUrl: string;
}): MailComposers<SecondFactorNotice> {
  const notice =
    (kind: SecondFactorNotice) =>
    ({ email }: { email: string }) =>
      secondFactorMail(email, kind, options);
  return {
    second_factor_added: notice("second_factor_added"),
    second_factor_removed: notice("second_factor_removed"),
    recovery_code_used: notice("recovery_code_used"),
  };
}
