import { createHash } from "node:crypto";
import Provider, { type Configuration, errors } from "oidc-provider";
import type { AuthEventListener } from "../../core/events.js";
import type { PageKit } from "../../core/pages/page-context.js";
import { type ClientStore, clientSecretMatches, DEFAULT_ID_TOKEN_ALG } from "./clients.js";
import { SIGNING_ALGS } from "./keys.js";
import type { PayloadStore } from "./payload-store.js";
import { reportProviderEvents, reportRevocation } from "./provider-events.js";
import { providerPages } from "./provider-pages.js";
import { persistOnlyStoredSessions, sessionLifetime } from "./provider-sessions.js";
import { linkedPolicy, type SignedInSubject } from "./session-link.js";
import type { SubjectStore } from "./store.js";

/** Where the provider's endpoints live under the issuer (discovery is at /.well-known/openid-configuration). */
export const OIDC_ROUTES = {
  authorization: "/oidc/auth",
  token: "/oidc/token",
  userinfo: "/oidc/me",
  jwks: "/oidc/jwks",
  revocation: "/oidc/token/revocation",
  introspection: "/oidc/token/introspection",
  end_session: "/oidc/session/end",
  pushed_authorization_request: "/oidc/request",
  device_authorization: "/oidc/device/auth",
  code_verification: "/oidc/device",
} as const;

export const INTERACTION_PATH = "/oidc/interaction";

export interface ProviderParts {
  issuer: string;
  payloads: PayloadStore;
  clients: ClientStore;
  subjects: SubjectStore;
  /** The private signing JWKs, newest first (SigningKeys.load). */
  keys: Record<string, unknown>[];
  /** The provider's cookie signing key, derived from SECRET_KEY (SecretBox.deriveKey). */
  cookieKey: string;
  /** Behind a proxy that sets X-Forwarded-Proto (TRUST_PROXY). */
  proxy?: boolean;
  /** The hosted pages' language, brand and switcher, for the provider's own pages. */
  pages: PageKit;
  /** Where its events go: tokens issued, failures, revocations (metrics, audit, webhooks). */
  emit?: AuthEventListener;
  /** Told when a provider session ends through RP-initiated logout (ends the service's session too). */
  onEndSession?: (ctx: unknown) => void;
  /** The `sub` of the browser's live service session: the provider's session counts only while it matches. */
  signedInSubject?: SignedInSubject;
  /** The provider session's lifetime in seconds, at most the service session's (SESSION_LIFETIME). */
  sessionTtl?: number;
}

const FOURTEEN_DAYS = 14 * 24 * 3600;

/**
 * What a second consumption of a single-use model is, as oidc-provider words
 * it when it finds one already consumed: a code, device code or refresh token
 * used twice (two requests racing with the same one both found it unused
 * before either consumed it), or a pushed request's URI used twice.
 */
const REUSE_ERRORS: Readonly<Record<string, () => Error>> = {
  AuthorizationCode: () => new errors.InvalidGrant("authorization code already consumed"),
  RefreshToken: () => new errors.InvalidGrant("refresh token already used"),
  DeviceCode: () => new errors.InvalidGrant("device code already consumed"),
  BackchannelAuthenticationRequest: () =>
    new errors.InvalidGrant("backchannel authentication request already consumed"),
  PushedAuthorizationRequest: () =>
    new errors.InvalidRequestUri("request_uri is invalid, expired, or was already used"),
};

/**
 * The adapter over the service's database (oidc_payloads; clients from
 * oidc_clients). Refresh tokens are rotated: the request that loses a race to
 * consume the same one finds it used, and, as for any reuse, the whole grant
 * is revoked (see docs/guides/oidc-provider.md, "Refresh races").
 */
function adapterClass(payloads: PayloadStore, clients: ClientStore) {
  const Adapter = class KyselyOidcAdapter {
    constructor(private readonly model: string) {}
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      if (this.model === "Client")
        throw new Error("clients are registered with `auth-service client create`");
      await payloads.upsert(this.model, id, payload, expiresIn);
    }
    async find(id: string): Promise<Record<string, unknown> | undefined> {
      if (this.model === "Client") return clients.metadataOf(id);
      return payloads.find(this.model, "id", id);
    }
    async findByUserCode(userCode: string) {
      return payloads.find(this.model, "user_code", userCode);
    }
    async findByUid(uid: string) {
      return payloads.find(this.model, "uid", uid);
    }
    async consume(id: string): Promise<void> {
      if (await payloads.consume(this.model, id)) return;
      // Another request consumed it first, after both had found it unused: a
      // reuse, answered as oidc-provider answers one it sees (the grant revoked).
      const reuse = REUSE_ERRORS[this.model];
      if (!reuse) return;
      const found = await payloads.find(this.model, "id", id);
      if (this.model !== "PushedAuthorizationRequest" && typeof found?.grantId === "string")
        await payloads.revokeByGrantId(found.grantId);
      throw reuse();
    }
    async destroy(id: string): Promise<void> {
      await payloads.destroy(this.model, id);
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      await payloads.revokeByGrantId(grantId);
    }
  };
  return Adapter;
}

function ownToken(client: { clientId: string }, token: { clientId?: string }): boolean {
  return token.clientId === client.clientId;
}

/**
 * Whether a session or token dates from before the user's last take-back.
 * The take-back deletes the user's provider sessions, grants and tokens in its
 * own transaction (SubjectStore.endSessions), so what is left from before it
 * was made by a request still in flight then. The provider dates things in
 * whole seconds: only a second wholly before the take-back's counts, so a
 * sign-in within the take-back's second, after it, is not refused.
 */
export function issuedBefore(
  source: { iiat?: number; iat?: number; loginTs?: number } | undefined,
  endedAt: number,
): boolean {
  const since = source?.iiat ?? source?.loginTs ?? source?.iat;
  return since !== undefined && since < Math.floor(endedAt / 1000);
}

/** The oidc-provider instance, configured for CONTRACT.md Part 2 F. */
export function createProvider(parts: ProviderParts): Provider {
  const { subjects } = parts;
  const pageHooks = providerPages(parts.pages);
  const configuration: Configuration = {
    adapter: adapterClass(parts.payloads, parts.clients) as unknown as Configuration["adapter"],
    clients: [],
    jwks: { keys: parts.keys as never },
    cookies: { keys: [parts.cookieKey] },
    routes: OIDC_ROUTES,
    scopes: ["openid", "email", "offline_access"],
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    responseTypes: ["code"],
    clientAuthMethods: ["none", "client_secret_basic", "client_secret_post"],
    clientDefaults: {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: DEFAULT_ID_TOKEN_ALG,
    },
    extraClientMetadata: { properties: ["first_party"] },
    // The algorithms it holds keys for: discovery offers no other.
    enabledJWA: { idTokenSigningAlgValues: [...SIGNING_ALGS] },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      ClientCredentials: 3600,
      DeviceCode: 600,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: 14 * 24 * 3600,
      Session: sessionLifetime(Math.min(parts.sessionTtl ?? FOURTEEN_DAYS, FOURTEEN_DAYS)),
      Grant: 14 * 24 * 3600,
    },
    features: {
      devInteractions: { enabled: false },
      // A client revokes and introspects its own tokens only.
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => ownToken(client, token),
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => ownToken(client, token),
      },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      rpInitiatedLogout: { enabled: true, ...pageHooks.rpInitiatedLogout },
      deviceFlow: { enabled: true, ...pageHooks.deviceFlow },
    },
    interactions: {
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      ...(parts.signedInSubject ? { policy: linkedPolicy(parts.signedInSubject) } : {}),
    },
    async findAccount(ctx, sub, token) {
      const account = await subjects.accountBySubject(sub);
      if (!account) return undefined;
      if (account.endedAt !== null && issuedBefore(token ?? ctx.oidc?.session, account.endedAt))
        return undefined;
      return {
        accountId: sub,
        // For the events of its grants (provider-events.ts); never a claim.
        userId: account.userId,
        email: account.email,
        claims: async () => ({ sub, email: account.email, email_verified: account.emailVerified }),
      };
    },
    renderError: pageHooks.renderError,
  };
  const provider = new Provider(parts.issuer, configuration);
  provider.proxy = parts.proxy === true;
  persistOnlyStoredSessions(provider);
  // Client secrets are stored as SHA-256: compare the presented one's hash.
  const prototype = provider.Client.prototype as unknown as {
    compareClientSecret(this: { clientSecret?: string }, actual: string): Promise<boolean>;
  };
  prototype.compareClientSecret = async function (actual) {
    return clientSecretMatches(actual, this.clientSecret);
  };
  // A DPoP proof's or client assertion's jti is accepted once. oidc-provider
  // finds, then writes: two requests with one proof could both find nothing
  // (over PostgreSQL, across processes, or within a turn of grouped writes).
  // One conditional write decides instead.
  const replays = provider.ReplayDetection as unknown as {
    unique(iss: string, jti: string, exp: number): Promise<boolean>;
  };
  replays.unique = async (iss, jti, exp) => {
    const id = createHash("sha256").update(`${iss}${jti}`).digest("base64url");
    const nowSeconds = Math.floor(Date.now() / 1000);
    const payload = { iss, jti: id, kind: "ReplayDetection", iat: nowSeconds, exp };
    return parts.payloads.claimOnce("ReplayDetection", id, payload, exp - nowSeconds);
  };
  if (parts.onEndSession) provider.on("end_session.success", parts.onEndSession);
  if (parts.emit) {
    const emit = parts.emit;
    reportProviderEvents(provider, emit);
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route !== "revocation" || ctx.status !== 200) return;
      const { AccessToken, RefreshToken, ClientCredentials } = ctx.oidc.entities;
      const token = AccessToken ?? RefreshToken ?? ClientCredentials;
      if (token && ctx.oidc.client && ownToken(ctx.oidc.client, token))
        await reportRevocation(token, subjects, emit).catch(() => undefined);
    });
  }
  return provider;
}
