import type { Accounts } from "../../core/accounts.js";
import type { Capability } from "../../core/capability.js";
import type { SecondFactorGate } from "../../core/second-step.js";
import { ownDataPages } from "./own-data-pages.js";
import { ownDataSection } from "./own-data-views.js";
import { accountRoutes } from "./routes.js";

/**
 * The hosted pages of accounts and sessions: register, log in, /account
 * (with every capability's section), log out, the stylesheet and icon.
 */
export const hostedPages: Capability<{
  auth: Accounts & { readonly secondFactorGate: SecondFactorGate };
}> = {
  name: "hosted-pages",
  pages: async (app, { auth }, { cookie, accountPage, loginParts, returnTo, pages }) => {
    await app.register(accountRoutes, { auth, cookie, accountPage, loginParts, returnTo, pages });
    await app.register(ownDataPages, {
      auth,
      factors: auth.secondFactorGate,
      cookie,
      pages,
      loginParts,
    });
  },
  // Last on /account: a copy of one's data, and the account's deletion.
  accountSection: () => ({ render: ({ ctx }) => ({ part: ownDataSection(ctx) }) }),
};
