import type { Accounts } from "../../core/accounts.js";
import type { Capability } from "../../core/capability.js";
import { html } from "../../platform/pages/html.js";
import { passkeyAccountSection, passkeyPages } from "./pages.js";
import type { Passkeys } from "./passkeys.js";
import { passkeyRoutes } from "./routes.js";
import { passkeyFactorChoicePart, passkeySignInPart, passkeyStepPart } from "./views.js";

export { KyselyPasskeyStore } from "./kysely-passkey-store.js";
export { type PasskeyInfo, Passkeys } from "./passkeys.js";
export {
  type PasskeyConfig,
  type PasskeySettings,
  passkeySettings,
  resolvePasskeyConfig,
} from "./settings.js";
export type { PasskeyStore } from "./store.js";

/** What passkeys need of the service: the core's accounts, and the passkeys when configured. */
export interface PasskeyService {
  auth: Accounts & { readonly passkeys?: Passkeys | undefined };
}

/**
 * Passkeys (WebAuthn, CONTRACT.md Part 2 D): /passkeys in the API, the two
 * same-origin scripts, /account's section, a passkey sign-in under the login
 * form and a passkey beside the second step's code. A way in through
 * SignIn.withPasskey, and a kind of second factor (Passkeys.secondFactor)
 * wherever a code is asked.
 */
export const passkeys: Capability<PasskeyService> = {
  name: "passkeys",
  async routes(app, { auth }, { cookie }) {
    if (auth.passkeys) await app.register(passkeyRoutes, { auth, cookie, passkeys: auth.passkeys });
  },
  async pages(app, { auth }, { cookie, accountPage, pages }) {
    if (!auth.passkeys) return;
    await app.register(passkeyPages, { auth, cookie, accountPage, pages, passkeys: auth.passkeys });
  },
  accountSection: ({ auth }) =>
    auth.passkeys ? passkeyAccountSection(auth.passkeys) : { render: () => ({}) },
  // Each passkey's name, dates and whether it is synced: never its key or counter.
  exportData: async ({ auth }, user) =>
    auth.passkeys ? { passkeys: await auth.passkeys.list(user.id) } : undefined,
  loginParts: ({ auth }) => {
    const { passkeys } = auth;
    if (!passkeys) return {};
    return {
      login: passkeySignInPart,
      secondStep: passkeyStepPart,
      // Offered only to someone who has a passkey to answer with.
      factorChoice: async (ctx, userId) =>
        (await passkeys.list(userId)).length > 0 ? passkeyFactorChoicePart(ctx) : html``,
    };
  },
};
