import { languageOfMail, type MailKitOptions, noticeMail } from "../../core/mail/mail-kit.js";
import type { MailComposers } from "../../platform/mail/composer.js";
import type { MailMessage } from "../../platform/mail/transport.js";
import { secondFactorWords } from "./words.js";

/** The notices of changes to an account's second factor, by mail kind: their words' keys. */
const SECOND_FACTOR_NOTICES = {
  second_factor_added: {
    subject: "mail.second_factor_added.subject",
    what: "mail.second_factor_added.what",
  },
  second_factor_removed: {
    subject: "mail.second_factor_removed.subject",
    what: "mail.second_factor_removed.what",
  },
  recovery_code_used: {
    subject: "mail.recovery_code_used.subject",
    what: "mail.recovery_code_used.what",
  },
} as const;

export type SecondFactorNotice = keyof typeof SECOND_FACTOR_NOTICES;

export function secondFactorMail(
  to: string,
  kind: SecondFactorNotice,
  options: MailKitOptions,
  language?: string | null,
): MailMessage {
  const t = secondFactorWords.in(languageOfMail(language, options));
  return noticeMail(options, to, t, {
    ...SECOND_FACTOR_NOTICES[kind],
    ifNotYou: "mail.if_not_you",
    resetAtOnce: "mail.reset_at_once",
    review: "mail.review",
  });
}

/** The second factor's mail: a notice of each change to it. */
export function secondFactorMails(options: MailKitOptions): MailComposers<SecondFactorNotice> {
  const notice =
    (kind: SecondFactorNotice) =>
    ({ email, language }: { email: string; language: string | null }) =>
      secondFactorMail(email, kind, options, language);
  return {
    second_factor_added: notice("second_factor_added"),
    second_factor_removed: notice("second_factor_removed"),
    recovery_code_used: notice("recovery_code_used"),
  };
}
