import type { Accounts } from "../../core/accounts.js";
import type { Capability } from "../../core/capability.js";
import { accountRoutes } from "./routes.js";

/**
 * The hosted pages of accounts and sessions: register, log in, /account
 * (with every capability's section), log out, the stylesheet and icon.
 */
export const hostedPages: Capability<{ auth: Accounts }> = {
  name: "hosted-pages",
  pages: (app, { auth }, { cookie, accountPage, loginParts, returnTo }) =>
    app.register(accountRoutes, { auth, cookie, accountPage, loginParts, returnTo }),
};
