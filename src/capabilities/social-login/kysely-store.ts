import type { ColumnType, Kysely, Selectable } from "kysely";
import { isUniqueViolation, toDate } from "../../core/store/row-mapping.js";
import { lockUserRow } from "../../core/store/user-row-lock.js";
import type { Transaction } from "../../core/unit-of-work.js";
import { normalizeEmail } from "../../core/user.js";
import type { Database } from "../../platform/db/schema.js";
import { executorOf } from "../../platform/db/transaction.js";
import type {
  LinkedIdentity,
  ProviderKind,
  SocialStore,
  StoredFlow,
  StoredLinkRequest,
  StoredProvider,
} from "./store.js";

/** Milliseconds since the epoch in a BIGINT: a string from pg, a number from SQLite. */
type EpochMillis = ColumnType<number | string, number, number>;
type UserId = ColumnType<number | string, number, number>;
type Id = ColumnType<number | string, number | undefined, number>;

/** Migration 0016-social-login. */
export type SocialTables = {
  social_providers: {
    id: string;
    name: string;
    kind: string;
    issuer: string;
    authorization_endpoint: string | null;
    token_endpoint: string | null;
    userinfo_endpoint: string | null;
    client_id: string;
    client_secret_sealed: string;
    scopes: string;
    created_at: EpochMillis;
  };
  social_identities: {
    id: Id;
    public_id: string;
    user_id: UserId;
    provider_id: string;
    subject: string;
    email: string | null;
    linked_at: EpochMillis;
  };
  social_flows: {
    state_hash: string;
    provider_id: string;
    sealed: string;
    return_to: string | null;
    link_user_id: ColumnType<number | string | null, number | null, number | null>;
    expires_at: EpochMillis;
  };
  social_link_requests: {
    token_hash: string;
    user_id: UserId;
    provider_id: string;
    subject: string;
    email: string | null;
    return_to: string | null;
    expires_at: EpochMillis;
  };
};

type Db = Kysely<Database & SocialTables>;

/** Social login's rows over Kysely, on SQLite and PostgreSQL alike. */
export class KyselySocialStore implements SocialStore {
  readonly #base: Kysely<Database>;
  readonly #db: Db;

  constructor(db: Kysely<Database>) {
    this.#base = db;
    this.#db = db.$extendTables<SocialTables>();
  }

  #executor(tx: Transaction | undefined): Db {
    const executor = executorOf(this.#base, tx);
    return executor === this.#base ? this.#db : executor.$extendTables<SocialTables>();
  }

  async listProviders(): Promise<StoredProvider[]> {
    const rows = await this.#db.selectFrom("social_providers").selectAll().orderBy("id").execute();
    return rows.map(toProvider);
  }

  async insertProvider(provider: StoredProvider): Promise<boolean> {
    try {
      await this.#db
        .insertInto("social_providers")
        .values({
          id: provider.id,
          name: provider.name,
          kind: provider.kind,
          issuer: provider.issuer,
          authorization_endpoint: provider.endpoints?.authorization ?? null,
          token_endpoint: provider.endpoints?.token ?? null,
          userinfo_endpoint: provider.endpoints?.userinfo ?? null,
          client_id: provider.clientId,
          client_secret_sealed: provider.clientSecretSealed,
          scopes: provider.scopes.join(" "),
          created_at: provider.createdAt.getTime(),
        })
        .execute();
      return true;
    } catch (error) {
      // The id is the primary key: SQLite names that violation apart from UNIQUE's.
      const code = (error as { code?: unknown } | null)?.code;
      if (isUniqueViolation(error) || code === "SQLITE_CONSTRAINT_PRIMARYKEY") return false;
      throw error;
    }
  }

  async deleteProvider(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom("social_identities").where("provider_id", "=", id).execute();
      await trx.deleteFrom("social_flows").where("provider_id", "=", id).execute();
      await trx.deleteFrom("social_link_requests").where("provider_id", "=", id).execute();
      const result = await trx
        .deleteFrom("social_providers")
        .where("id", "=", id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async findIdentity(providerId: string, subject: string): Promise<LinkedIdentity | null> {
    const row = await this.#db
      .selectFrom("social_identities")
      .selectAll()
      .where("provider_id", "=", providerId)
      .where("subject", "=", subject)
      .executeTakeFirst();
    return row ? toIdentity(row) : null;
  }

  async identitiesOf(userId: number): Promise<LinkedIdentity[]> {
    const rows = await this.#db
      .selectFrom("social_identities")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("id")
      .execute();
    return rows.map(toIdentity);
  }

  async insertIdentity(identity: LinkedIdentity, tx?: Transaction): Promise<boolean> {
    try {
      await this.#executor(tx)
        .insertInto("social_identities")
        .values({
          public_id: identity.id,
          user_id: identity.userId,
          provider_id: identity.provider,
          subject: identity.subject,
          email: identity.email,
          linked_at: identity.linkedAt.getTime(),
        })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async deleteIdentity(userId: number, id: string, tx?: Transaction): Promise<boolean> {
    const result = await this.#executor(tx)
      .deleteFrom("social_identities")
      .where("user_id", "=", userId)
      .where("public_id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async lockWaysIn(
    userId: number,
    tx: Transaction,
  ): Promise<{ hasPassword: boolean; identities: number } | null> {
    if (!(await lockUserRow(executorOf(this.#base, tx), userId))) return null;
    const db = this.#executor(tx);
    const user = await db
      .selectFrom("users")
      .select("hashed_password")
      .where("id", "=", userId)
      .executeTakeFirst();
    if (!user) return null;
    const { count } = await db
      .selectFrom("social_identities")
      .select((eb) => eb.fn.countAll<number | string>().as("count"))
      .where("user_id", "=", userId)
      .executeTakeFirstOrThrow();
    return { hasPassword: user.hashed_password !== null, identities: Number(count) };
  }

  async insertPasswordlessUser(
    email: string,
    verifiedAt: Date | null,
    now: Date,
    tx?: Transaction,
  ): Promise<number> {
    const row = await this.#executor(tx)
      .insertInto("users")
      .values({
        email,
        email_normalized: normalizeEmail(email),
        hashed_password: null,
        created_at: now.getTime(),
        updated_at: now.getTime(),
        email_verified_at: verifiedAt?.getTime() ?? null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async insertFlow(stateHash: string, flow: StoredFlow, expiresAt: Date): Promise<void> {
    await this.#db
      .insertInto("social_flows")
      .values({
        state_hash: stateHash,
        provider_id: flow.providerId,
        sealed: flow.sealed,
        return_to: flow.returnTo,
        link_user_id: flow.linkUserId,
        expires_at: expiresAt.getTime(),
      })
      .execute();
  }

  async takeFlow(stateHash: string, now: Date): Promise<StoredFlow | null> {
    const row = await this.#db
      .deleteFrom("social_flows")
      .where("state_hash", "=", stateHash)
      .returningAll()
      .executeTakeFirst();
    if (!row || Number(row.expires_at) <= now.getTime()) return null;
    return {
      providerId: row.provider_id,
      sealed: row.sealed,
      returnTo: row.return_to,
      linkUserId: row.link_user_id === null ? null : Number(row.link_user_id),
    };
  }

  async insertLinkRequest(
    tokenHash: string,
    request: StoredLinkRequest,
    expiresAt: Date,
  ): Promise<void> {
    await this.#db
      .insertInto("social_link_requests")
      .values({
        token_hash: tokenHash,
        user_id: request.userId,
        provider_id: request.providerId,
        subject: request.subject,
        email: request.email,
        return_to: request.returnTo,
        expires_at: expiresAt.getTime(),
      })
      .execute();
  }

  async findLinkRequest(tokenHash: string, now: Date): Promise<StoredLinkRequest | null> {
    const row = await this.#db
      .selectFrom("social_link_requests")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .where("expires_at", ">", now.getTime())
      .executeTakeFirst();
    if (!row) return null;
    return {
      userId: Number(row.user_id),
      providerId: row.provider_id,
      subject: row.subject,
      email: row.email,
      returnTo: row.return_to,
    };
  }

  async deleteLinkRequest(tokenHash: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("social_link_requests")
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async purgeExpired(now: Date): Promise<void> {
    await this.#db.deleteFrom("social_flows").where("expires_at", "<=", now.getTime()).execute();
    await this.#db
      .deleteFrom("social_link_requests")
      .where("expires_at", "<=", now.getTime())
      .execute();
  }
}

function toProvider(row: Selectable<SocialTables["social_providers"]>): StoredProvider {
  const { authorization_endpoint, token_endpoint, userinfo_endpoint } = row;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ProviderKind,
    issuer: row.issuer,
    endpoints:
      authorization_endpoint && token_endpoint && userinfo_endpoint
        ? {
            authorization: authorization_endpoint,
            token: token_endpoint,
            userinfo: userinfo_endpoint,
          }
        : null,
    clientId: row.client_id,
    clientSecretSealed: row.client_secret_sealed,
    scopes: row.scopes === "" ? [] : row.scopes.split(" "),
    createdAt: toDate(row.created_at),
  };
}

function toIdentity(row: Selectable<SocialTables["social_identities"]>): LinkedIdentity {
  return {
    id: row.public_id,
    userId: Number(row.user_id),
    provider: row.provider_id,
    subject: row.subject,
    email: row.email,
    linkedAt: toDate(row.linked_at),
  };
}
