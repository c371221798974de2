import type { Accounts } from "../../core/accounts.js";
import type { Capability } from "../../core/capability.js";
import type { ApiKeyChecker } from "../../core/http/api-key-gate.js";
import { providerAdminRoutes } from "./admin-routes.js";
import { providerCommands, type SocialCommandService } from "./commands.js";
import { socialPages } from "./pages.js";
import { voidPendingLinks } from "./pending-links.js";
import { identityRoutes } from "./routes.js";
import type { SocialLogin } from "./social-login.js";
import { continueLinks, identitySection } from "./views.js";

export type { IdentityInfo } from "./admission.js";
export { KyselySocialStore } from "./kysely-store.js";
export { GITHUB_ENDPOINTS, PRESET_NAMES, presetOf } from "./presets.js";
export { type NewProvider, type ProviderInfo, ProviderRegistry } from "./providers.js";
export { SocialLogin } from "./social-login.js";
export type { SocialStore } from "./store.js";
export { Upstream } from "./upstream.js";

/** What social login needs of the service: the accounts with it, and the admin API's keys when served. */
export interface SocialLoginService {
  auth: Accounts & { readonly socialLogin: SocialLogin };
  apiKeys?: ApiKeyChecker;
}

/**
 * Sign in with another identity provider (CONTRACT.md Part 3 G): /login/{id}
 * and its callback (openid-client), the link page that asks an existing
 * account's password first, "Continue with ..." on the login and
 * registration pages, /account's linked identities, /identities in the API,
 * /admin/providers, and the `provider` commands. A way in through
 * SignIn.withLinkedIdentity.
 */
export const socialLogin: Capability<SocialLoginService, SocialCommandService> = {
  name: "social-login",
  async routes(app, { auth, apiKeys }, { cookie, publicUrl }) {
    const social = auth.socialLogin;
    await app.register(identityRoutes, { auth, cookie, social });
    if (apiKeys)
      await app.register(providerAdminRoutes, { apiKeys, social, publicUrl, prefix: "/admin" });
  },
  pages: (app, { auth }, http) =>
    app.register(socialPages, { auth, social: auth.socialLogin, http }),
  accountSection: ({ auth }) => ({
    async render({ user, state, secondFactorOn, ctx }) {
      const social = auth.socialLogin;
      const [identities, providers, hasPassword] = await Promise.all([
        social.identities(user.id),
        social.providers.list(),
        social.hasPassword(user.id),
      ]);
      if (identities.length === 0 && providers.length === 0) return {};
      const error = typeof state.identityError === "string" ? state.identityError : undefined;
      return {
        part: identitySection(ctx, { identities, providers, hasPassword, secondFactorOn, error }),
      };
    },
  }),
  loginParts: ({ auth }) => ({
    login: async (ctx, returnTo) =>
      continueLinks(ctx, await auth.socialLogin.providers.list(), returnTo),
    register: async (ctx, returnTo) =>
      continueLinks(ctx, await auth.socialLogin.providers.list(), returnTo),
  }),
  takeBack: [voidPendingLinks],
  exportData: async ({ auth }, user) => ({
    linked_identities: await auth.socialLogin.identities(user.id),
  }),
  commands: (open) => providerCommands(open),
};
