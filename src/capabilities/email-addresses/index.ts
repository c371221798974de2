import type { Capability } from "../../core/capability.js";
import { emailAddressLoginParts, emailAddressSection } from "./page-parts.js";
import { accountEmailRoutes } from "./pages.js";
import { eraseLinkAddresses, voidPendingEmailChanges } from "./pending-email-changes.js";
import { verificationRoutes } from "./routes.js";
import type { EmailAddressService } from "./service.js";

/**
 * Verified addresses and email changes (EMAIL_VERIFICATION): the API's
 * verification and change routes, their pages, the account page's banner
 * and change form, the login page's word on an unverified address. It
 * answers the core's VerificationGate; every take-back voids its pending
 * changes.
 */
export const emailAddresses: Capability<{ auth: EmailAddressService }> = {
  name: "email-addresses",
  routes: (app, { auth }, { cookie }) => app.register(verificationRoutes, { auth, cookie }),
  pages: (app, { auth }, { cookie, accountPage, returnTo, pages }) =>
    app.register(accountEmailRoutes, { auth, cookie, accountPage, returnTo, pages }),
  accountSection: ({ auth }) => emailAddressSection(auth),
  loginParts: ({ auth }) => emailAddressLoginParts(auth),
  takeBack: [voidPendingEmailChanges],
  erasure: [eraseLinkAddresses],
  exportData: async ({ auth }, user) => ({
    email_address: await auth.emailAddresses.exportOf(user.id),
  }),
};
