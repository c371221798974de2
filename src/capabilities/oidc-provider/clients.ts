import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";
import type { Transaction } from "../../core/unit-of-work.js";
import { type AnswerCache, readThrough } from "../../platform/db/answer-cache.js";
import { HotQuery } from "../../platform/db/hot-query.js";
import { executorOf } from "../../platform/db/transaction.js";
import { isDisplayText } from "../../platform/text/display-text.js";
import { terminalText } from "../../platform/text/terminal-escape.js";
import { SIGNING_ALGS, type SigningAlg } from "./keys.js";
import type { OidcDb } from "./store.js";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/**
 * The ID token algorithm of a client that names none, as OpenID Connect
 * Dynamic Client Registration says; clients registered before the choice
 * existed have no such field in their metadata and get it too.
 */
export const DEFAULT_ID_TOKEN_ALG: SigningAlg = "RS256";

export interface NewClient {
  name: string;
  redirectUris: readonly string[];
  postLogoutRedirectUris?: readonly string[];
  /** No secret; PKCE is then required (the provider's rule for `none`). */
  isPublic?: boolean;
  /** The service's own application: no consent page. */
  firstParty?: boolean;
  /** Grants beyond the code flow: "client_credentials", "device_code". */
  grants?: readonly string[];
  /** How its ID tokens are signed: one of SIGNING_ALGS; DEFAULT_ID_TOKEN_ALG when not given. */
  idTokenAlg?: string;
}

export interface ClientInfo {
  clientId: string;
  name: string;
  isPublic: boolean;
  firstParty: boolean;
  redirectUris: string[];
  grantTypes: string[];
  idTokenAlg: string;
  createdAt: Date;
}

/** A client that cannot be registered as asked (the CLI's usage error, the admin API's 400). */
export class ClientInputError extends Error {
  override name = "ClientInputError";
}

/**
 * A new client id: 128 random bits in hex. Not base64url, whose ids begin
 * with "-" one time in 64, which a command line takes for an option
 * (`auth-service client delete -Rk...` failed).
 */
export function newClientId(): string {
  return randomBytes(16).toString("hex");
}

/** SHA-256 of a client secret, hex: all the database keeps of it. */
export function hashClientSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Compares a presented secret with a stored hash in constant time. */
export function clientSecretMatches(presented: string, storedHash: string | undefined): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashClientSecret(presented), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A client's row as the provider's lookup reads it (a string, so nothing shared is ever changed). */
export interface StoredClient {
  metadata: string;
  secret_hash: string | null;
}

/** Relying parties registered by the operator (`auth-service client ...`). */
export class ClientStore {
  readonly #metadataOf;

  /**
   * `sqlite`: the raw connection, for the lookup every token request makes
   * (HotQuery). `kept`: over PostgreSQL, that lookup's rows kept in memory
   * until a client changes (open-stores.ts).
   */
  constructor(
    private readonly db: OidcDb,
    private readonly now: () => number = Date.now,
    sqlite?: BetterSqlite3.Database,
    private readonly kept?: AnswerCache<StoredClient>,
  ) {
    this.#metadataOf = new HotQuery(
      db as never,
      db
        .selectFrom("oidc_clients")
        .select(["metadata", "secret_hash"])
        .where("client_id", "=", "")
        .compile(),
      sqlite,
    );
  }

  /**
   * Registers a client; a confidential one's secret is returned this once.
   * @throws ClientInputError for what cannot be registered (a bad URI, grant or mix).
   */
  async create(
    input: NewClient,
    tx?: Transaction,
  ): Promise<{ clientId: string; clientSecret?: string }> {
    for (const uri of [...input.redirectUris, ...(input.postLogoutRedirectUris ?? [])])
      if (!isRedirectUri(uri))
        throw new ClientInputError(
          `not an http(s) URL without a fragment, spaces or control characters: "${terminalText(uri)}"`,
        );
    if (input.name.trim() === "") throw new ClientInputError("a client needs a name");
    if (!isDisplayText(input.name))
      throw new ClientInputError(
        "a client's name may not hold control, bidi or other invisible characters",
      );
    const clientId = newClientId();
    const clientSecret = input.isPublic ? undefined : randomBytes(32).toString("base64url");
    const extra = (input.grants ?? []).map((grant) =>
      grant === "device_code" ? DEVICE_CODE_GRANT : grant,
    );
    for (const grant of extra)
      if (grant !== "client_credentials" && grant !== DEVICE_CODE_GRANT)
        throw new ClientInputError(`unknown grant "${grant}" (client_credentials, device_code)`);
    if (input.isPublic && extra.includes("client_credentials"))
      throw new ClientInputError("a public client cannot use client_credentials");
    const code = input.redirectUris.length > 0;
    const grantTypes = [
      ...(code ? ["authorization_code", "refresh_token"] : []),
      ...(extra.includes(DEVICE_CODE_GRANT) && !code ? ["refresh_token"] : []),
      ...extra,
    ];
    if (grantTypes.length === 0)
      throw new ClientInputError("a client needs a redirect URI or a grant");
    const idTokenAlg = input.idTokenAlg ?? DEFAULT_ID_TOKEN_ALG;
    if (!isSigningAlg(idTokenAlg))
      throw new ClientInputError(
        `unknown ID token algorithm "${idTokenAlg}" (${SIGNING_ALGS.join(", ")})`,
      );
    const metadata = {
      client_id: clientId,
      client_name: input.name,
      redirect_uris: [...input.redirectUris],
      post_logout_redirect_uris: [...(input.postLogoutRedirectUris ?? [])],
      grant_types: grantTypes,
      response_types: code ? ["code"] : [],
      token_endpoint_auth_method: input.isPublic ? "none" : "client_secret_basic",
      first_party: input.firstParty === true,
      id_token_signed_response_alg: idTokenAlg,
    };
    await this.#db(tx)
      .insertInto("oidc_clients")
      .values({
        client_id: clientId,
        name: input.name,
        secret_hash: clientSecret ? hashClientSecret(clientSecret) : null,
        metadata: JSON.stringify(metadata),
        first_party: input.firstParty ? 1 : 0,
        created_at: this.now(),
      })
      .execute();
    return clientSecret ? { clientId, clientSecret } : { clientId };
  }

  /** The metadata oidc-provider reads; the secret is its hash (see OidcProvider's compareClientSecret). */
  async metadataOf(clientId: string): Promise<Record<string, unknown> | undefined> {
    // Kept (when there is a cache) until a client changes; unknown ids are not.
    const row = await readThrough(
      this.kept,
      clientId,
      this.now(),
      async () => (await this.#metadataOf.rows([clientId]))[0],
      () => Number.POSITIVE_INFINITY,
    );
    if (!row) return undefined;
    const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    return row.secret_hash ? { ...metadata, client_secret: row.secret_hash } : metadata;
  }

  #db(tx: Transaction | undefined): OidcDb {
    return executorOf(this.db as never, tx) as unknown as OidcDb;
  }

  async list(): Promise<ClientInfo[]> {
    const rows = await this.db
      .selectFrom("oidc_clients")
      .selectAll()
      .orderBy("created_at")
      .orderBy("client_id")
      .execute();
    return rows.map((row) => {
      const metadata = JSON.parse(row.metadata) as {
        redirect_uris: string[];
        grant_types: string[];
        id_token_signed_response_alg?: string;
      };
      return {
        clientId: row.client_id,
        name: row.name,
        isPublic: row.secret_hash === null,
        firstParty: row.first_party === 1,
        redirectUris: metadata.redirect_uris,
        grantTypes: metadata.grant_types,
        idTokenAlg: metadata.id_token_signed_response_alg ?? DEFAULT_ID_TOKEN_ALG,
        createdAt: new Date(Number(row.created_at)),
      };
    });
  }

  /** Deletes the client and everything the provider keeps for it; false when there is none. */
  async delete(clientId: string, tx?: Transaction): Promise<boolean> {
    const db = this.#db(tx);
    const result = await db
      .deleteFrom("oidc_clients")
      .where("client_id", "=", clientId)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) return false;
    await db
      .deleteFrom("oidc_payloads")
      .where("payload", "like", `%"clientId":${JSON.stringify(clientId)}%`)
      .execute();
    return true;
  }
}

function isSigningAlg(alg: string): alg is SigningAlg {
  return (SIGNING_ALGS as readonly string[]).includes(alg);
}

/** Whitespace, controls and format characters: never part of a URI as written. */
const UNSEEN_IN_URI = /[\s\p{Cc}\p{Cf}]/u;

/**
 * A redirect URI a client may register: an absolute http(s) URL (the
 * provider's clients are web applications) without a fragment; never
 * javascript:, data: or anything else.
 */
function isRedirectUri(uri: string): boolean {
  // Matched as registered, character for character: the parser would drop a
  // tab or line break and encode a control, so none is registered.
  if (uri.length > 2000 || UNSEEN_IN_URI.test(uri) || !uri.isWellFormed()) return false;
  if (!URL.canParse(uri)) return false;
  const url = new URL(uri);
  return (url.protocol === "http:" || url.protocol === "https:") && url.hash === "";
}
