import { languageOfMail, type MailKitOptions, noticeMail } from "../../core/mail/mail-kit.js";
import type { MailComposers } from "../../platform/mail/composer.js";
import type { MailMessage } from "../../platform/mail/transport.js";
import { passkeyWords } from "./words.js";

/** The notices of changes to an account's passkeys, by mail kind: their words' keys. */
const PASSKEY_NOTICES = {
  passkey_added: {
    subject: "mail.passkey_added.subject",
    what: "mail.passkey_added.what",
  },
  passkey_removed: {
    subject: "mail.passkey_removed.subject",
    what: "mail.passkey_removed.what",
  },
  passkey_counter_regression: {
    subject: "mail.passkey_counter_regression.subject",
    what: "mail.passkey_counter_regression.what",
  },
} as const;

export type PasskeyNotice = keyof typeof PASSKEY_NOTICES;

function passkeyMail(
  to: string,
  kind: PasskeyNotice,
  options: MailKitOptions,
  language?: string | null,
): MailMessage {
  const t = passkeyWords.in(languageOfMail(language, options));
  return noticeMail(options, to, t, {
    ...PASSKEY_NOTICES[kind],
    ifNotYou: "mail.if_not_you",
    resetAtOnce: "mail.reset_at_once",
    review: "mail.review",
  });
}

/** The passkeys' mail: a notice of each change to them, and of a copied one refused. */
export function passkeyMails(options: MailKitOptions): MailComposers<PasskeyNotice> {
  const notice =
    (kind: PasskeyNotice) =>
    ({ email, language }: { email: string; language: string | null }) =>
      passkeyMail(email, kind, options, language);
  return {
    passkey_added: notice("passkey_added"),
    passkey_removed: notice("passkey_removed"),
    passkey_counter_regression: notice("passkey_counter_regression"),
  };
}
