import type { Capability } from "../../core/capability.js";
import { secondFactorLoginParts, secondFactorSection } from "./page-parts.js";
import { accountMfaRoutes } from "./pages.js";
import { mfaRoutes } from "./routes.js";
import type { SecondFactorService } from "./service.js";

/**
 * TOTP and recovery codes: /mfa and the login's second step in the API, the
 * account page's section and the second step's page. It answers the core's
 * SecondFactorGate (SecondFactorCodes); its mails are in messages.ts.
 */
export const secondFactor: Capability<{ auth: SecondFactorService }> = {
  name: "second-factor",
  routes: (app, { auth }, { cookie }) => app.register(mfaRoutes, { auth, cookie }),
  pages: (app, { auth }, { cookie, accountPage, returnTo, pages, loginParts }) =>
    app.register(accountMfaRoutes, { auth, cookie, accountPage, returnTo, pages, loginParts }),
  accountSection: ({ auth }) => secondFactorSection(auth),
  loginParts: () => secondFactorLoginParts,
  exportData: async ({ auth }, user) => ({
    second_factor: await auth.secondFactors.exportOf(user.id),
  }),
};
