import type Provider from "oidc-provider";
import type { Capability } from "../../core/capability.js";
import type { ApiKeyChecker } from "../../core/http/api-key-gate.js";
import type { PageKit } from "../../core/pages/page-context.js";
import { clientAdminRoutes } from "./admin-routes.js";
import {
  applicationPages,
  applicationRoutes,
  applicationsAccountSection,
} from "./application-routes.js";
import { Applications } from "./applications.js";
import { oidcCommands } from "./commands.js";
import type { OidcStores } from "./open-stores.js";
import { createProvider, OIDC_ROUTES } from "./provider.js";
import { type InteractionAccounts, interactionPages, mountProvider } from "./routes.js";
import { serviceToken } from "./session-link.js";
import { eraseProviderRowsOf } from "./store.js";
import { FastUserinfo } from "./userinfo.js";

export { type ClientInfo, ClientStore, type NewClient } from "./clients.js";
export { OidcCoupling } from "./coupling.js";
export { SigningKeys } from "./keys.js";
export { type OidcStores, openOidcStores } from "./open-stores.js";
export { PayloadStore } from "./payload-store.js";
export { OIDC_ROUTES } from "./provider.js";
export { type OidcDb, SubjectStore } from "./store.js";

/** What the HTTP service adds: where the issuer is (known once listening) and the proxy setting. */
export interface OidcHttp extends OidcStores {
  issuer: () => string;
  proxy?: boolean;
  secure: boolean;
  /** SESSION_LIFETIME in milliseconds: the provider's sessions last no longer. */
  sessionLifetime?: number;
}

export interface OidcProviderService {
  auth: InteractionAccounts;
  oidc?: OidcHttp;
  /** The admin API's keys: /admin/clients is served with them (scope clients:write). */
  apiKeys?: ApiKeyChecker;
}

const providers = new WeakMap<OidcHttp, Promise<Provider>>();

/** The applications a user allowed, over the provider's stores. */
function applicationsOf(oidc: OidcStores, auth: InteractionAccounts): Applications {
  return new Applications(oidc, auth.core.flows.changes);
}

/** One provider per service, made at its first request (the issuer names the port listened on). */
function providerOf(
  oidc: OidcHttp,
  auth: InteractionAccounts,
  cookieName: string,
  pages: PageKit,
): () => Promise<Provider> {
  return () => {
    let made = providers.get(oidc);
    if (!made) {
      made = oidc.keys.load().then((keys) =>
        createProvider({
          issuer: oidc.issuer(),
          payloads: oidc.payloads,
          clients: oidc.clients,
          subjects: oidc.subjects,
          keys,
          cookieKey: oidc.cookieKey(),
          proxy: oidc.proxy,
          pages,
          emit: auth.core.flows.emit,
          onEndSession: (ctx) => endServiceSession(ctx, auth, cookieName, oidc.issuer()),
          signedInSubject: async (ctx) => {
            const user = await auth.getUserFromSessionId(serviceToken(ctx));
            return user ? oidc.subjects.subjectOf(user.id) : null;
          },
          ...(oidc.sessionLifetime
            ? { sessionTtl: Math.max(1, Math.floor(oidc.sessionLifetime / 1000)) }
            : {}),
        }),
      );
      made.catch(() => providers.delete(oidc));
      providers.set(oidc, made);
    }
    return made;
  };
}

/** RP-initiated logout: the service's session cookie ends too. */
function endServiceSession(
  ctx: unknown,
  auth: InteractionAccounts,
  name: string,
  issuer: string,
): void {
  const koa = ctx as {
    cookies: { set(name: string, value: null, options: Record<string, unknown>): void };
    oidc?: { session?: { state?: { postLogoutRedirectUri?: unknown } } };
  };
  const then = koa.oidc?.session?.state?.postLogoutRedirectUri;
  if (isAccountSwitch(then, new URL(issuer).origin)) return;
  const token = serviceToken(ctx);
  if (!token) return;
  koa.cookies.set(name, null, { path: "/", signed: false, overwrite: true });
  void Promise.resolve(auth.revokeSession(token)).catch(() => undefined);
}

/**
 * The provider ends its older session itself when a login step finished with
 * another account (the service's user now), then resumes the request at its
 * own authorization or device page, under the issuer: the service's session
 * is the new person's, and stays. An application's logout goes anywhere else
 * (its registered URIs), and ends the service's session.
 */
function isAccountSwitch(then: unknown, origin: string): boolean {
  if (typeof then !== "string" || !URL.canParse(then)) return false;
  const url = new URL(then);
  if (url.origin !== origin) return false;
  return [OIDC_ROUTES.authorization, OIDC_ROUTES.code_verification].some((path) =>
    url.pathname.startsWith(`${path}/`),
  );
}

/**
 * The OpenID Connect provider (CONTRACT.md Part 2 F): oidc-provider mounted at
 * the issuer, its login step the service's own login page, consent for
 * third-party clients, and `auth-service client` / `keys` commands.
 */
export const oidcProvider: Capability<OidcProviderService, { oidc: OidcStores }> = {
  name: "oidc-provider",
  erasure: [eraseProviderRowsOf],
  async routes(app, { auth, oidc, apiKeys }, { cookie, pages }) {
    if (!oidc) return;
    await mountProvider(app, providerOf(oidc, auth, cookie.name, pages), {
      cookie,
      userinfo: new FastUserinfo(oidc),
      pages,
      deviceCodeEntries: auth.deviceCodeEntries,
    });
    await app.register(applicationRoutes, {
      auth,
      cookie,
      applications: applicationsOf(oidc, auth),
    });
    if (apiKeys)
      await app.register(clientAdminRoutes, {
        apiKeys,
        clients: oidc.clients,
        changes: auth.core.flows.changes,
        prefix: "/admin",
      });
  },
  async pages(app, { auth, oidc }, { cookie, pages, accountPage }) {
    if (!oidc) return;
    await app.register(applicationPages, {
      auth,
      cookie,
      applications: applicationsOf(oidc, auth),
      accountPage,
      pages,
    });
    await interactionPages(app, {
      getProvider: providerOf(oidc, auth, cookie.name, pages),
      pages,
      accounts: auth,
      subjects: oidc.subjects,
      cookie,
      secure: oidc.secure,
    });
  },
  accountSection: ({ auth, oidc }) =>
    oidc ? applicationsAccountSection(applicationsOf(oidc, auth)) : { render: () => ({}) },
  // The applications the user allowed: names, scopes, dates; never a token.
  exportData: async ({ auth, oidc }, user) => {
    if (!oidc) return undefined;
    const list = await applicationsOf(oidc, auth).list(user.id);
    return {
      oauth_applications: list.map((item) => ({
        client_id: item.clientId,
        name: item.name,
        scopes: item.scopes,
        granted_at: item.grantedAt.toISOString(),
      })),
    };
  },
  commands: (open) => oidcCommands(open),
};
