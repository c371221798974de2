import type { MailComposers } from "../../platform/mail/composer.js";
import type { MailMessage } from "../../platform/mail/transport.js";
import { coreWords } from "../pages/words.js";
import { brandedMail, languageOfMail, type MailKitOptions } from "./mail-kit.js";

export function passwordChangedMail(
  to: string,
  options: MailKitOptions,
  language?: string | null,
): MailMessage {
  const t = coreWords.in(languageOfMail(language, options));
  return brandedMail(options, {
    to,
    subject: t("mail.password_changed.subject"),
    paragraphs: [
      t("mail.password_changed.what"),
      "",
      t("mail.if_not_you"),
      t("mail.reset_at_once", { link: `${options.publicUrl}/account/forgot` }),
    ],
  });
}

/** The notice after the owner deleted the account: sent to the address it had. */
export function accountDeletedMail(
  to: string,
  options: MailKitOptions,
  language?: string | null,
): MailMessage {
  const t = coreWords.in(languageOfMail(language, options));
  return brandedMail(options, {
    to,
    subject: t("mail.account_deleted.subject"),
    paragraphs: [
      t("mail.account_deleted.what"),
      "",
      t("mail.if_not_you"),
      t("mail.account_deleted.not_you"),
    ],
  });
}

/** The core's own mail: the notices after a password change and after an account's deletion. */
export function coreMails(
  options: MailKitOptions,
): MailComposers<"password_changed" | "account_deleted"> {
  return {
    password_changed: ({ email, language }) => passwordChangedMail(email, options, language),
    account_deleted: ({ email, language }) => accountDeletedMail(email, options, language),
  };
}
