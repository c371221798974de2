import { type ColumnType, type Kysely, type Selectable, sql } from "kysely";
import {
  isUniqueViolation,
  toDate,
  toDateOrNull,
  toUserRecord,
} from "../../core/store/row-mapping.js";
import type { Transaction } from "../../core/unit-of-work.js";
import type { UserRecord } from "../../core/user.js";
import type { Database } from "../../platform/db/schema.js";
import { executorOf } from "../../platform/db/transaction.js";
import type {
  ChallengePurpose,
  NewPasskey,
  PasskeyStore,
  StoredChallenge,
  StoredPasskey,
} from "./store.js";

/** Milliseconds since the epoch in a BIGINT: a string from pg, a number from SQLite (see db/schema.ts). */
type EpochMillis = ColumnType<number | string, number, number>;
type Id = ColumnType<number | string, number | undefined, number>;

/** Migration 0012-passkeys. */
export type PasskeysTable = {
  id: Id;
  public_id: string;
  user_id: ColumnType<number | string, number, number>;
  /** base64url */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  counter: ColumnType<number | string, number | undefined, number>;
  /** Space-separated. */
  transports: string;
  user_handle: string;
  /** 0 or 1 on both engines. */
  backup_eligible: number;
  backed_up: number;
  aaguid: string;
  name: string;
  created_at: EpochMillis;
  last_used_at: ColumnType<number | string | null, number | null | undefined, number | null>;
};

export type PasskeyChallengesTable = {
  id: Id;
  /** SHA-256 of the challenge (base64url text), hex. */
  challenge_hash: string;
  purpose: string;
  user_id: ColumnType<number | string | null, number | null, never>;
  created_at: EpochMillis;
  expires_at: EpochMillis;
};

export type PasskeyTables = {
  passkeys: PasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
};

const PURPOSES: ReadonlySet<string> = new Set<ChallengePurpose>([
  "registration",
  "sign_in",
  "factor",
]);

/** Passkeys and their challenges over Kysely, on SQLite and PostgreSQL alike. */
export class KyselyPasskeyStore implements PasskeyStore {
  readonly #base: Kysely<Database>;
  readonly #db: Kysely<Database & PasskeyTables>;

  constructor(db: Kysely<Database>) {
    this.#base = db;
    this.#db = db.$extendTables<PasskeyTables>();
  }

  /** Where a statement runs: in the caller's transaction when it hands one. */
  #executor(tx: Transaction | undefined): Kysely<Database & PasskeyTables> {
    const executor = executorOf(this.#base, tx);
    return executor === this.#base ? this.#db : executor.$extendTables<PasskeyTables>();
  }

  async insertPasskey(passkey: NewPasskey, tx?: Transaction): Promise<boolean> {
    try {
      await this.#executor(tx)
        .insertInto("passkeys")
        .values({
          public_id: passkey.id,
          user_id: passkey.userId,
          credential_id: passkey.credentialId,
          public_key: Buffer.from(passkey.publicKey).toString("base64url"),
          counter: passkey.counter,
          transports: passkey.transports.join(" "),
          user_handle: passkey.userHandle,
          backup_eligible: passkey.backupEligible ? 1 : 0,
          backed_up: passkey.backedUp ? 1 : 0,
          aaguid: passkey.aaguid,
          name: passkey.name,
          created_at: passkey.createdAt.getTime(),
        })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async findByCredentialId(credentialId: string): Promise<StoredPasskey | null> {
    const row = await this.#db
      .selectFrom("passkeys")
      .selectAll()
      .where("credential_id", "=", credentialId)
      .executeTakeFirst();
    return row ? toStoredPasskey(row) : null;
  }

  async findWithUser(
    credentialId: string,
  ): Promise<{ passkey: StoredPasskey; user: UserRecord } | null> {
    // The passkey in a derived table with a literal LIMIT: SQLite plans a plain
    // join on a bound parameter anew at each run (some 50 µs, measured), this
    // form once (its statement is cached).
    const passkey = this.#db
      .selectFrom("passkeys")
      .selectAll()
      .where("credential_id", "=", credentialId)
      .limit(sql.lit(1))
      .as("passkey");
    const row = await this.#db
      .selectFrom(passkey)
      .innerJoin("users", "users.id", "passkey.user_id")
      .selectAll("passkey")
      .select([
        "users.email as user_email",
        "users.email_normalized as user_email_normalized",
        "users.hashed_password as user_hashed_password",
        "users.created_at as user_created_at",
        "users.updated_at as user_updated_at",
        "users.email_verified_at as user_email_verified_at",
      ])
      .executeTakeFirst();
    if (!row) return null;
    const user = toUserRecord({
      id: row.user_id,
      email: row.user_email,
      email_normalized: row.user_email_normalized,
      hashed_password: row.user_hashed_password,
      created_at: row.user_created_at,
      updated_at: row.user_updated_at,
      email_verified_at: row.user_email_verified_at,
    });
    return { passkey: toStoredPasskey(row), user };
  }

  async findOfUser(userId: number, id: string): Promise<StoredPasskey | null> {
    const row = await this.#db
      .selectFrom("passkeys")
      .selectAll()
      .where("user_id", "=", userId)
      .where("public_id", "=", id)
      .executeTakeFirst();
    return row ? toStoredPasskey(row) : null;
  }

  async listOfUser(userId: number): Promise<StoredPasskey[]> {
    const rows = await this.#db
      .selectFrom("passkeys")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("id")
      .execute();
    return rows.map(toStoredPasskey);
  }

  async countOfUser(userId: number): Promise<number> {
    const row = await this.#db
      .selectFrom("passkeys")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("user_id", "=", userId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async recordUse(
    rowId: number,
    previousCounter: number,
    use: { counter: number; backedUp: boolean; at: Date },
    tx?: Transaction,
  ): Promise<boolean> {
    const result = await this.#executor(tx)
      .updateTable("passkeys")
      .set({
        counter: use.counter,
        backed_up: use.backedUp ? 1 : 0,
        last_used_at: use.at.getTime(),
      })
      .where("id", "=", rowId)
      .where("counter", "=", previousCounter)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async rename(userId: number, id: string, name: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("passkeys")
      .set({ name })
      .where("user_id", "=", userId)
      .where("public_id", "=", id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deletePasskey(userId: number, id: string, tx?: Transaction): Promise<boolean> {
    const result = await this.#executor(tx)
      .deleteFrom("passkeys")
      .where("user_id", "=", userId)
      .where("public_id", "=", id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteAllOfUser(userId: number, tx?: Transaction): Promise<number> {
    const result = await this.#executor(tx)
      .deleteFrom("passkeys")
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async insertChallenge(challenge: {
    challengeHash: string;
    purpose: ChallengePurpose;
    userId: number | null;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.#db
      .insertInto("passkey_challenges")
      .values({
        challenge_hash: challenge.challengeHash,
        purpose: challenge.purpose,
        user_id: challenge.userId,
        created_at: challenge.createdAt.getTime(),
        expires_at: challenge.expiresAt.getTime(),
      })
      .execute();
  }

  async takeChallenge(challengeHash: string, now: Date): Promise<StoredChallenge | null> {
    const row = await this.#db
      .deleteFrom("passkey_challenges")
      .where("challenge_hash", "=", challengeHash)
      .where("expires_at", ">", now.getTime())
      .returning(["purpose", "user_id"])
      .executeTakeFirst();
    if (!row || !PURPOSES.has(row.purpose)) return null;
    return {
      purpose: row.purpose as ChallengePurpose,
      userId: row.user_id === null ? null : Number(row.user_id),
    };
  }

  async purgeExpiredChallenges(now: Date): Promise<void> {
    await this.#db
      .deleteFrom("passkey_challenges")
      .where("expires_at", "<=", now.getTime())
      .execute();
  }
}

function toStoredPasskey(row: Selectable<PasskeysTable>): StoredPasskey {
  return {
    rowId: Number(row.id),
    id: row.public_id,
    userId: Number(row.user_id),
    credentialId: row.credential_id,
    publicKey: new Uint8Array(Buffer.from(row.public_key, "base64url")),
    counter: Number(row.counter),
    transports: row.transports === "" ? [] : row.transports.split(" "),
    userHandle: row.user_handle,
    backupEligible: Number(row.backup_eligible) === 1,
    backedUp: Number(row.backed_up) === 1,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: toDate(row.created_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
  };
}
