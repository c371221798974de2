import { EmailNotVerifiedError } from "../../core/errors.js";
import type { AccountSection } from "../../core/pages/account-page.js";
import type { LoginPageParts } from "../../core/pages/login-parts.js";
import { loginView } from "../../core/pages/views.js";
import type { EmailAddressService } from "./service.js";
import {
  emailChangeSection,
  registeredUnverifiedNotice,
  resendForm,
  unverifiedLoginMessage,
  verificationBanner,
} from "./views.js";
import { emailWords } from "./words.js";

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;

/**
 * The address's parts of /account: a banner while it is unverified, the
 * change form, and the notice after a change (naming the address from the
 * session, never from the URL).
 */
export function emailAddressSection(auth: EmailAddressService): AccountSection {
  return {
    render({ user, state, secondFactorOn, ctx }) {
      const unverified = auth.emailAddresses.enabled && user.emailVerifiedAt === null;
      const { error, errorField } = state;
      return {
        banner: unverified ? verificationBanner(ctx, text(state.verificationLink)) : undefined,
        part: emailChangeSection(ctx, {
          email: user.email,
          error,
          errorField,
          newEmail: text(state.newEmail),
          confirmationLink: text(state.confirmationLink),
          needsCode: secondFactorOn,
        }),
        notice:
          state.emailChanged === true
            ? emailWords.in(ctx.lang)("notice.now", { email: user.email })
            : undefined,
      };
    },
  };
}

/** The login page while the address must be verified first: where the link is, and a way to a new one. */
export function emailAddressLoginParts(auth: EmailAddressService): LoginPageParts {
  return {
    afterRegistration(email, ctx) {
      if (auth.settings.emailVerification !== "required") return undefined;
      const notice = registeredUnverifiedNotice(ctx, auth.emailAddresses.mailsLinks);
      return { notice, extra: resendForm(ctx, email) };
    },
    pageFor(error, email, returnTo, ctx) {
      if (!(error instanceof EmailNotVerifiedError)) return undefined;
      const state = {
        email,
        returnTo,
        error: unverifiedLoginMessage(ctx, error.mailed),
        extra: resendForm(ctx, email),
      };
      return { status: 403, body: loginView(ctx, state) };
    },
  };
}
