import { type Kysely, sql, type Updateable } from "kysely";
import { Migrator } from "kysely/migration";
import { withParameters } from "../../platform/db/compiled-query.js";
import { allMigrations } from "../../platform/db/migrations/index.js";
import type { Database, Dialect, UsersTable } from "../../platform/db/schema.js";
import { executorOf, transactionRunner, withinTransaction } from "../../platform/db/transaction.js";
import { UserAlreadyExistsError } from "../errors.js";
import type { MfaChallengeStore } from "../second-step.js";
import type { StoredSession } from "../session.js";
import type { AuthStore, NewSession, UserChanges, UserCriteria, UserSummary } from "../store.js";
import type { FailureCount } from "../throttle.js";
import type { Transaction } from "../unit-of-work.js";
import { normalizeEmail, type User, type UserRecord } from "../user.js";
import { type ErasedUser, type ErasureStep, eraseUser } from "./erasure.js";
import { KyselyMfaChallengeStore } from "./kysely-mfa-challenges.js";
import { KyselyThrottleStore } from "./kysely-throttle-store.js";
import { mapUnavailable } from "./map-unavailable.js";
import {
  isUniqueViolation,
  toDate,
  toDateOrNull,
  toStoredSession,
  toUserRecord,
} from "./row-mapping.js";
import { compileSessionByTokenHash, toSessionLookup } from "./session-lookup.js";
import { endSessionsOfUser, type TakeBackStep, takeBack } from "./take-back.js";

/**
 * The one implementation of AuthStore, over Kysely. Every difference between
 * SQLite and PostgreSQL (BIGINT as string, unique-violation codes) is settled
 * in this file, in the row mapping and in isUniqueViolation.
 */
export class KyselyStore implements AuthStore {
  readonly dialect: Dialect;
  readonly mfaChallenges: MfaChallengeStore;
  readonly #db: Kysely<Database>;
  readonly #takeBack: readonly TakeBackStep[];
  readonly #erasure: readonly ErasureStep[];

  readonly #sessionByTokenHash: ReturnType<typeof compileSessionByTokenHash>;
  readonly #throttle: KyselyThrottleStore;

  /**
   * `takeBack`: what the capabilities void whenever an account is taken back
   * (take-back.ts); `erasure`: what they delete when an account is erased (erasure.ts).
   */
  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    takeBack: readonly TakeBackStep[] = [],
    erasure: readonly ErasureStep[] = [],
  ) {
    this.#db = db;
    this.#takeBack = takeBack;
    this.#erasure = erasure;
    this.dialect = dialect;
    this.#sessionByTokenHash = compileSessionByTokenHash(db);
    this.#throttle = new KyselyThrottleStore(db);
    // Wrapped here, not by the caller: mapUnavailable wraps methods, not properties.
    this.mfaChallenges = mapUnavailable(new KyselyMfaChallengeStore(db));
  }

  async migrate(): Promise<string[]> {
    const migrator = new Migrator({
      db: this.#db,
      provider: { getMigrations: async () => allMigrations(this.dialect) },
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) throw error;
    return results
      .filter((result) => result.status === "Success")
      .map((result) => result.migrationName);
  }

  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return transactionRunner(this.#db).transaction(work);
  }

  async ping(): Promise<void> {
    await this.#db.selectFrom("users").select("id").limit(1).execute();
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }

  async insertUser(
    email: string,
    hashedPassword: string,
    now: Date,
    tx?: Transaction,
  ): Promise<UserRecord> {
    try {
      const row = await executorOf(this.#db, tx)
        .insertInto("users")
        .values({
          email,
          email_normalized: normalizeEmail(email),
          hashed_password: hashedPassword,
          created_at: now.getTime(),
          updated_at: now.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUserRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new UserAlreadyExistsError(email);
      throw error;
    }
  }

  async findUser(criteria: UserCriteria): Promise<UserRecord | null> {
    let query = this.#db.selectFrom("users").selectAll();
    for (const [key, value] of Object.entries(criteria)) {
      // SQL's `= NULL` is never true either; say so without asking the database.
      if (value === null || value === undefined) return null;
      // No row holds NUL or a lone surrogate (inserts refuse them), and
      // PostgreSQL would answer such text with an error, not "no match".
      if (typeof value === "string" && (value.includes("\u0000") || !value.isWellFormed())) {
        return null;
      }
      switch (key as keyof UserCriteria) {
        case "id":
          query = query.where("id", "=", value as number);
          break;
        case "email":
          query = query.where("email_normalized", "=", normalizeEmail(value as string));
          break;
        case "hashedPassword":
          query = query.where("hashed_password", "=", value as string);
          break;
        case "createdAt":
          query = query.where("created_at", "=", (value as Date).getTime());
          break;
        case "updatedAt":
          query = query.where("updated_at", "=", (value as Date).getTime());
          break;
        default:
          throw new TypeError(`unknown user criterion ${key}`);
      }
    }
    // A literal LIMIT: SQLite plans a statement with a bound LIMIT anew at
    // each run (30-80 µs a lookup, measured); this one is planned once.
    const row = await query.limit(sql.lit(1)).executeTakeFirst();
    return row ? toUserRecord(row) : null;
  }

  async updateUser(id: number, changes: UserChanges, now: Date): Promise<boolean> {
    const values: Updateable<UsersTable> = { updated_at: now.getTime() };
    if (changes.email !== undefined) {
      values.email = changes.email;
      values.email_normalized = normalizeEmail(changes.email);
    }
    if (changes.hashedPassword !== undefined) values.hashed_password = changes.hashedPassword;
    try {
      const result = await this.#db
        .updateTable("users")
        .set(values)
        .where("id", "=", id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    } catch (error) {
      if (isUniqueViolation(error) && changes.email !== undefined) {
        throw new UserAlreadyExistsError(changes.email);
      }
      throw error;
    }
  }

  async insertSession(session: NewSession, tx?: Transaction): Promise<void> {
    await executorOf(this.#db, tx)
      .insertInto("sessions")
      .values({
        public_id: session.publicId,
        token_hash: session.tokenHash,
        user_id: session.userId,
        created_at: session.createdAt.getTime(),
        last_seen_at: session.createdAt.getTime(),
        expires_at: session.expiresAt.getTime(),
        ip: session.ip,
        user_agent: session.userAgent,
      })
      .execute();
  }

  async findSessionByTokenHash(
    tokenHash: string,
  ): Promise<{ session: StoredSession; user: User } | null> {
    const { rows } = await this.#db.executeQuery(
      withParameters(this.#sessionByTokenHash, [tokenHash]),
    );
    const row = rows[0];
    return row ? toSessionLookup(row) : null;
  }

  async touchSession(sessionId: number, lastSeenAt: Date): Promise<void> {
    await this.#db
      .updateTable("sessions")
      .set({ last_seen_at: lastSeenAt.getTime() })
      .where("id", "=", sessionId)
      .execute();
  }

  async deleteSessionByTokenHash(tokenHash: string, tx?: Transaction): Promise<boolean> {
    const result = await executorOf(this.#db, tx)
      .deleteFrom("sessions")
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listUsers({
    limit,
    afterId = 0,
    now,
  }: {
    limit: number;
    afterId?: number;
    now: Date;
  }): Promise<UserSummary[]> {
    const rows = await this.#db
      .selectFrom("users")
      .leftJoin("sessions", (join) =>
        join
          .onRef("sessions.user_id", "=", "users.id")
          .on("sessions.expires_at", ">", now.getTime()),
      )
      .select([
        "users.id",
        "users.email",
        "users.created_at",
        "users.updated_at",
        "users.email_verified_at",
      ])
      .select((eb) => eb.fn.count<number | string>("sessions.id").as("sessions"))
      .where("users.id", ">", afterId)
      .groupBy([
        "users.id",
        "users.email",
        "users.created_at",
        "users.updated_at",
        "users.email_verified_at",
      ])
      .orderBy("users.id")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      email: row.email,
      createdAt: toDate(row.created_at),
      emailVerifiedAt: toDateOrNull(row.email_verified_at),
      updatedAt: toDate(row.updated_at),
      sessions: Number(row.sessions),
    }));
  }

  async deleteUser(id: number, tx?: Transaction): Promise<boolean> {
    const result = await executorOf(this.#db, tx)
      .deleteFrom("users")
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  eraseUser(user: ErasedUser, tx?: Transaction): Promise<boolean> {
    return withinTransaction(this.#db, tx, (trx) => eraseUser(trx, user, this.#erasure));
  }

  deleteSessionsOfUser(userId: number, tx?: Transaction): Promise<number> {
    return withinTransaction(this.#db, tx, (trx) => endSessionsOfUser(trx, userId, this.#takeBack));
  }

  async listSessionsOfUser(userId: number, now: Date): Promise<StoredSession[]> {
    const rows = await this.#db
      .selectFrom("sessions")
      .select([
        "id",
        "public_id",
        "user_id",
        "created_at",
        "last_seen_at",
        "expires_at",
        "ip",
        "user_agent",
      ])
      .where("user_id", "=", userId)
      .where("expires_at", ">", now.getTime())
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
    return rows.map(toStoredSession);
  }

  async deleteSessionOfUser(userId: number, publicId: string, tx?: Transaction): Promise<boolean> {
    const result = await executorOf(this.#db, tx)
      .deleteFrom("sessions")
      .where("user_id", "=", userId)
      .where("public_id", "=", publicId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  deleteOtherSessionsOfUser(
    userId: number,
    keepSessionId: number,
    tx?: Transaction,
  ): Promise<number> {
    return withinTransaction(this.#db, tx, (trx) =>
      endSessionsOfUser(trx, userId, this.#takeBack, keepSessionId),
    );
  }

  async changePassword(
    userId: number,
    hashedPassword: string,
    keepSessionId: number,
    now: Date,
    tx?: Transaction,
  ): Promise<void> {
    await withinTransaction(this.#db, tx, async (trx) => {
      await trx
        .updateTable("users")
        .set({ hashed_password: hashedPassword, updated_at: now.getTime() })
        .where("id", "=", userId)
        .execute();
      await trx
        .deleteFrom("sessions")
        .where("user_id", "=", userId)
        .where("id", "!=", keepSessionId)
        .execute();
      // A login half done with the old password must not finish with a code.
      await trx.deleteFrom("mfa_challenges").where("user_id", "=", userId).execute();
      await takeBack(trx, userId, this.#takeBack);
    });
  }

  lockedUntil(keys: readonly string[], now: Date): Promise<Date | null> {
    return this.#throttle.lockedUntil(keys, now);
  }

  recordFailure(key: string, now: Date, windowMs: number): Promise<FailureCount> {
    return this.#throttle.recordFailure(key, now, windowMs);
  }

  lock(key: string, until: Date): Promise<void> {
    return this.#throttle.lock(key, until);
  }

  clear(key: string): Promise<void> {
    return this.#throttle.clear(key);
  }

  async purgeExpired(now: Date, idleCutoff: Date): Promise<void> {
    await this.#db
      .deleteFrom("sessions")
      .where((eb) =>
        eb.or([
          eb("expires_at", "<=", now.getTime()),
          eb("last_seen_at", "<=", idleCutoff.getTime()),
        ]),
      )
      .execute();
    await this.#throttle.purgeExpired(now);
  }
}
