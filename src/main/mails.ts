import { emailAddressMails } from "../capabilities/email-addresses/messages.js";
import { passkeyMails } from "../capabilities/passkeys/messages.js";
import { passwordResetMails } from "../capabilities/password-reset/messages.js";
import { secondFactorMails } from "../capabilities/second-factor/messages.js";
import { socialMails } from "../capabilities/social-login/messages.js";
import { coreMails } from "../core/mail/messages.js";
import type { MailKind } from "../core/mail-queue.js";
import type { MailComposers } from "../platform/mail/composer.js";

/**
 * What every mail the service queues says, by kind. Typed by MailKind: a kind
 * added there without its composer here does not compile.
 */
export function serviceMails(
  options: Parameters<typeof passwordResetMails>[0] & Parameters<typeof emailAddressMails>[0],
): MailComposers<MailKind> {
  return {
    ...coreMails(options),
    ...passwordResetMails(options),
    ...secondFactorMails(options),
    ...passkeyMails(options),
    ...socialMails(options),
    ...emailAddressMails(options),
  };
}
