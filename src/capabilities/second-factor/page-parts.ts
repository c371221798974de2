import { SecondFactorRequiredError } from "../../core/errors.js";
import type { AccountSection } from "../../core/pages/account-page.js";
import type { LoginPageParts } from "../../core/pages/login-parts.js";
import type { SecondFactorService } from "./service.js";
import { mfaSection, mfaStepView } from "./views.js";

/** The second factor's section of /account: its state, and the forms to change it. */
export function secondFactorSection(auth: SecondFactorService): AccountSection {
  return {
    async render({ user, state, ctx }) {
      const status = await auth.secondFactors.status(user.id);
      const { notice, error, errorField } = state;
      return { part: mfaSection(ctx, { email: user.email, notice, error, errorField, status }) };
    },
  };
}

/** A right password on an account with a factor: the second step's page (pages.ts takes its form). */
export const secondFactorLoginParts: LoginPageParts = {
  pageFor(error, _email, returnTo, ctx, all) {
    if (!(error instanceof SecondFactorRequiredError)) return undefined;
    const others = all.flatMap((part) => part.secondStep?.(ctx) ?? []);
    return {
      status: 200,
      body: mfaStepView(ctx, { mfaToken: error.mfaToken, returnTo, others }),
    };
  },
};
