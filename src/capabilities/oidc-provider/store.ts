import type BetterSqlite3 from "better-sqlite3";
import type { ColumnType, Kysely } from "kysely";
import type { ErasureStep } from "../../core/store/erasure.js";
import type { Transaction } from "../../core/unit-of-work.js";
import { type AnswerCache, readThrough } from "../../platform/db/answer-cache.js";
import { HotQuery } from "../../platform/db/hot-query.js";
import { newSubject } from "../../platform/db/migrations/0015-oidc-provider.js";
import type { Database } from "../../platform/db/schema.js";
import { executorOf } from "../../platform/db/transaction.js";

type Millis = ColumnType<number | string, number, number>;
type MaybeMillis = ColumnType<number | string | null, number | null | undefined, number | null>;

/** Migration 0015-oidc-provider. */
export type OidcTables = {
  oidc_subjects: {
    user_id: ColumnType<number | string, number, never>;
    sub: string;
    ended_at: MaybeMillis;
  };
  oidc_payloads: {
    model: string;
    id: string;
    payload: string;
    grant_id: string | null;
    user_code: string | null;
    uid: string | null;
    expires_at: MaybeMillis;
    consumed_at: MaybeMillis;
    /** Migration 0017: the `sub` the row belongs to (sessions, grants, codes, tokens). */
    account_id: string | null;
  };
  oidc_clients: {
    client_id: string;
    name: string;
    secret_hash: string | null;
    metadata: string;
    first_party: number;
    created_at: Millis;
  };
  oidc_keys: {
    id: ColumnType<number | string, number | undefined, number>;
    kid: string;
    alg: string;
    generation: number;
    public_jwk: string;
    private_jwk: string;
    created_at: Millis;
    retired_at: MaybeMillis;
  };
};

export type OidcDb = Kysely<OidcTables & Pick<Database, "users">>;

/** A user as the provider sees them: its `sub`, email and when its provider sessions were last ended. */
export interface OidcAccount {
  userId: number;
  sub: string;
  email: string;
  emailVerified: boolean;
  /** Milliseconds; sessions and refresh tokens from before it are refused. */
  endedAt: number | null;
}

export const num = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

/**
 * The lookup every token request makes: a user and their `sub` row, by
 * `sub` (its only parameter), compiled once. The `sub` is named only inside
 * a subquery: a join that names a parameter in its WHERE is planned with it
 * in view, and better-sqlite3's clearing of the bindings after every run
 * then makes SQLite prepare the statement again each time
 * (bench/sqlite-joins.ts).
 */
export function compileAccountBySubject(db: OidcDb) {
  return db
    .selectFrom("oidc_subjects")
    .innerJoin("users", "users.id", "oidc_subjects.user_id")
    .select([
      "users.id",
      "users.email",
      "users.email_verified_at",
      "oidc_subjects.sub",
      "oidc_subjects.ended_at",
    ])
    .where("users.id", "=", (eb) =>
      eb
        .selectFrom("oidc_subjects as by_sub")
        .select("by_sub.user_id")
        .where("by_sub.sub", "=", ""),
    )
    .compile();
}

/** Each user's stable, opaque `sub`, and the ends of their provider sessions. */
export class SubjectStore {
  readonly #accountBySubject;
  readonly #kept: AnswerCache<OidcAccount> | undefined;

  /**
   * `sqlite`: the raw connection, for the lookup every token request makes
   * (HotQuery). `kept`: accounts kept in memory between changes to users or
   * `sub` rows (over PostgreSQL, open-stores.ts).
   */
  constructor(
    private readonly db: OidcDb,
    sqlite?: BetterSqlite3.Database,
    kept?: AnswerCache<OidcAccount>,
  ) {
    this.#kept = kept;
    this.#accountBySubject = new HotQuery(db as never, compileAccountBySubject(db), sqlite);
  }

  /** The user's `sub`, made at the first ask for users made after migration 0015. */
  async subjectOf(userId: number): Promise<string> {
    // Read first: most users have one, and the provider asks at every authorization request.
    const known = await this.db
      .selectFrom("oidc_subjects")
      .select("sub")
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (known) return known.sub;
    await this.db
      .insertInto("oidc_subjects")
      .values({ user_id: userId, sub: newSubject() })
      .onConflict((oc) => oc.column("user_id").doNothing())
      .execute();
    const row = await this.db
      .selectFrom("oidc_subjects")
      .select("sub")
      .where("user_id", "=", userId)
      .executeTakeFirstOrThrow();
    return row.sub;
  }

  async accountBySubject(sub: string): Promise<OidcAccount | null> {
    // Kept until a change, not until a time. No account is not kept: a
    // user's first authorization makes its `sub` row.
    const account = await readThrough(
      this.#kept,
      sub,
      0,
      async () => {
        const [row] = await this.#accountBySubject.rows([sub]);
        if (!row) return undefined;
        return Object.freeze({
          userId: Number(row.id),
          sub: row.sub,
          email: row.email,
          emailVerified: row.email_verified_at !== null,
          endedAt: num(row.ended_at),
        });
      },
      () => Number.POSITIVE_INFINITY,
    );
    return account ?? null;
  }

  /**
   * Ends the user's provider sessions, grants and tokens issued until now
   * (returns how many rows went):
   * deletes them, in the take-back's transaction, and dates the take-back
   * (findAccount refuses what a request still in flight made before it).
   */
  async endSessions(userId: number, now: number, tx?: Transaction): Promise<number> {
    const db = executorOf(this.db as never, tx) as unknown as OidcDb;
    const row = await db
      .insertInto("oidc_subjects")
      .values({ user_id: userId, sub: newSubject(), ended_at: now })
      .onConflict((oc) => oc.column("user_id").doUpdateSet({ ended_at: now }))
      .returning("sub")
      .executeTakeFirstOrThrow();
    const deleted = await db
      .deleteFrom("oidc_payloads")
      .where("account_id", "=", row.sub)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }

  /**
   * Deletes the provider rows whose `sub` has no user any more (its
   * oidc_subjects row went with the user row): a deletion that keeps the
   * audit trail (admin API, CLI) runs no erasure steps, so its user's
   * sessions, grants and tokens go here, in the deletion's transaction.
   */
  async deleteRowsOfDeletedUsers(tx?: Transaction): Promise<number> {
    const db = executorOf(this.db as never, tx) as unknown as OidcDb;
    const deleted = await db
      .deleteFrom("oidc_payloads")
      .where("account_id", "is not", null)
      .where(({ exists, selectFrom, not }) =>
        not(
          exists(
            selectFrom("oidc_subjects")
              .select("oidc_subjects.sub")
              .whereRef("oidc_subjects.sub", "=", "oidc_payloads.account_id"),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}

/**
 * The erasure step of an account: every provider row of the user's `sub`
 * (sessions, grants, codes, tokens) goes in the erasure's transaction, before
 * the user row (and its oidc_subjects row with it) does; introspection then
 * finds none of their tokens.
 */
export const eraseProviderRowsOf: ErasureStep = async (trx, user) => {
  const db = trx as unknown as OidcDb;
  const row = await db
    .selectFrom("oidc_subjects")
    .select("sub")
    .where("user_id", "=", user.id)
    .executeTakeFirst();
  if (row) await db.deleteFrom("oidc_payloads").where("account_id", "=", row.sub).execute();
};
