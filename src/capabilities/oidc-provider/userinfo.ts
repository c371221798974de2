import type { IncomingHttpHeaders } from "node:http";
import type { AnswerCache } from "../../platform/db/answer-cache.js";
import type { ClientStore } from "./clients.js";
import type { PayloadStore } from "./payload-store.js";
import { issuedBefore } from "./provider.js";
import type { SubjectStore } from "./store.js";

/** A bearer token as oidc-provider makes them (nanoid, base64url); anything else is handed over. */
const BEARER = /^Bearer ([A-Za-z0-9_-]{20,128})$/;

/** Client metadata that changes what userinfo answers (a signed or encrypted answer, pairwise subjects). */
const SPECIAL_CLIENT_METADATA = [
  "userinfo_signed_response_alg",
  "userinfo_encrypted_response_alg",
  "subject_type",
] as const;

/** What each scope adds to `sub` (the provider's `claims` configuration). */
const EMAIL_SCOPE = "email";

interface StoredAccessToken {
  clientId?: unknown;
  accountId?: unknown;
  grantId?: unknown;
  scope?: unknown;
  exp?: unknown;
  iat?: unknown;
  aud?: unknown;
  jkt?: unknown;
  "x5t#S256"?: unknown;
  claims?: unknown;
}

interface StoredGrant {
  clientId?: unknown;
  accountId?: unknown;
  exp?: unknown;
  openid?: { scope?: unknown; claims?: unknown };
  rejected?: unknown;
}

/**
 * The userinfo endpoint's common case, answered without oidc-provider's koa
 * stack, which cost ~8x bare Fastify's CPU per request even for JWKS. It
 * answers only a GET whose one credential is a bearer token in the
 * Authorization header, with no query, DPoP proof or CORS origin, for a
 * plain access token (no audience, no sender constraint, no claims request)
 * of a client with a plain JSON answer, whose grant has nothing rejected;
 * and only when every check oidc-provider's userinfo makes passes (the token
 * is stored, unexpired, has `openid`; its client exists; its account exists
 * and was not taken back since; its grant exists, is unexpired and names the
 * same client and account). Anything else, refusals included, is handed to
 * oidc-provider, which answers it (and counts its errors) as before.
 *
 * Answers are kept per token until anything they were read from may have
 * changed (AnswerCache): over SQLite any commit; over PostgreSQL a write of
 * this process to those rows, or another's notice (migrations 0008, 0018).
 */
export class FastUserinfo {
  constructor(
    private readonly stores: {
      payloads: PayloadStore;
      clients: ClientStore;
      subjects: SubjectStore;
      userinfoAnswers?: AnswerCache<Record<string, unknown>>;
    },
    private readonly now: () => number = Date.now,
  ) {}

  /** The claims to answer with, or undefined: hand the request to oidc-provider. */
  async claimsFor(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
  ): Promise<Record<string, unknown> | undefined> {
    if (method !== "GET" || url.includes("?")) return undefined;
    if (headers.dpop !== undefined || headers.origin !== undefined) return undefined;
    const value = typeof headers.authorization === "string" ? headers.authorization : "";
    const token = BEARER.exec(value)?.[1];
    if (!token) return undefined;
    const now = this.now();
    const answers = this.stores.userinfoAnswers;
    const kept = answers?.get(token, now);
    if (kept) return kept;
    const generation = answers?.generation ?? 0;
    const seconds = Math.floor(now / 1000);

    const stored = (await this.stores.payloads.find("AccessToken", "id", token)) as
      | (StoredAccessToken & { consumed?: unknown })
      | undefined;
    if (!stored || !isPlainToken(stored) || !(Number(stored.exp) > seconds)) return undefined;
    const scopes = new Set(String(stored.scope).split(" "));
    if (!scopes.has("openid")) return undefined;
    const { clientId, accountId, grantId } = stored as Record<
      "clientId" | "accountId" | "grantId",
      string
    >;

    const client = await this.stores.clients.metadataOf(clientId);
    if (!client || SPECIAL_CLIENT_METADATA.some((name) => client[name] !== undefined))
      return undefined;

    const account = await this.stores.subjects.accountBySubject(accountId);
    if (!account) return undefined;
    if (account.endedAt !== null && issuedBefore(stored as { iat?: number }, account.endedAt))
      return undefined;

    const grant = (await this.stores.payloads.find("Grant", "id", grantId)) as
      | StoredGrant
      | undefined;
    if (
      !grant ||
      grant.clientId !== clientId ||
      grant.accountId !== accountId ||
      grant.rejected !== undefined ||
      (grant.exp !== undefined && !(Number(grant.exp) > seconds))
    )
      return undefined;
    const granted = typeof grant.openid?.scope === "string" ? grant.openid.scope.split(" ") : [];
    const claims: Record<string, unknown> = { sub: accountId };
    if (granted.includes(EMAIL_SCOPE) && scopes.has(EMAIL_SCOPE)) {
      claims.email = account.email;
      claims.email_verified = account.emailVerified;
    }
    // Until the token or its grant expires, whichever is first.
    const until = Math.min(Number(stored.exp), Number(grant.exp ?? stored.exp)) * 1000;
    answers?.set(token, claims, until, generation);
    return claims;
  }
}

/** A stored access token with none of what only oidc-provider knows how to check. */
function isPlainToken(stored: StoredAccessToken & { consumed?: unknown }): boolean {
  return (
    typeof stored.clientId === "string" &&
    typeof stored.accountId === "string" &&
    typeof stored.grantId === "string" &&
    typeof stored.scope === "string" &&
    typeof stored.exp === "number" &&
    stored.aud === undefined &&
    stored.jkt === undefined &&
    stored["x5t#S256"] === undefined &&
    stored.claims === undefined &&
    stored.consumed === undefined
  );
}
