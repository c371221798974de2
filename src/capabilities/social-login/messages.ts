import { languageOfMail, type MailKitOptions, noticeMail } from "../../core/mail/mail-kit.js";
import type { MailComposers } from "../../platform/mail/composer.js";
import { socialWords } from "./words.js";

/** Social login's mail: a notice when a sign-in at another provider is linked to an account. */
export function socialMails(options: MailKitOptions): MailComposers<"identity_linked"> {
  return {
    identity_linked: ({ email, language }: { email: string; language: string | null }) =>
      noticeMail(options, email, socialWords.in(languageOfMail(language, options)), {
        subject: "mail.identity_linked.subject",
        what: "mail.identity_linked.what",
        ifNotYou: "mail.if_not_you",
        resetAtOnce: "mail.reset_at_once",
        review: "mail.review",
      }),
  };
}
