import { type Kysely, sql } from "kysely";
import { toDate } from "../../core/store/row-mapping.js";
import { type TakeBackStep, takeBack } from "../../core/store/take-back.js";
import { lockUserRow } from "../../core/store/user-row-lock.js";
import type { Transaction } from "../../core/unit-of-work.js";
import type { Database } from "../../platform/db/schema.js";
import { withinTransaction } from "../../platform/db/transaction.js";
import type { RecoveryCodeHashes } from "./recovery-codes.js";
import type { SecondFactorStore, StoredRecoveryCode, StoredTotpFactor } from "./store.js";

/** Second factors, in totp_factors and recovery_codes. */
export class KyselyMfaStore implements SecondFactorStore {
  readonly #db: Kysely<Database>;
  readonly #takeBack: readonly TakeBackStep[];

  /** `takeBack`: what turning a factor off also voids, in its transaction. */
  constructor(db: Kysely<Database>, takeBack: readonly TakeBackStep[] = []) {
    this.#db = db;
    this.#takeBack = takeBack;
  }

  async findTotpFactor(userId: number): Promise<StoredTotpFactor | null> {
    const row = await this.#db
      .selectFrom("totp_factors")
      .selectAll()
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      userId: Number(row.user_id),
      secretSealed: row.secret_sealed,
      enabledAt: row.enabled_at === null ? null : toDate(row.enabled_at),
      lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    };
  }

  async savePendingTotpFactor(userId: number, secretSealed: string, now: Date): Promise<boolean> {
    const result = await this.#db
      .insertInto("totp_factors")
      .values({ user_id: userId, secret_sealed: secretSealed, created_at: now.getTime() })
      .onConflict((conflict) =>
        conflict
          .column("user_id")
          .doUpdateSet({ secret_sealed: secretSealed, created_at: now.getTime() })
          // A factor that is on is never replaced by a pending one.
          .where("totp_factors.enabled_at", "is", null),
      )
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  enableTotpFactor(
    userId: number,
    secretSealed: string,
    usedStep: number,
    codes: RecoveryCodeHashes,
    now: Date,
    tx?: Transaction,
  ): Promise<boolean> {
    return withinTransaction(this.#db, tx, async (trx) => {
      const enabled = await trx
        .updateTable("totp_factors")
        .set({ enabled_at: now.getTime(), last_used_step: usedStep })
        .where("user_id", "=", userId)
        .where("enabled_at", "is", null)
        // The secret the code was checked against, not one a later setup put there.
        .where("secret_sealed", "=", secretSealed)
        .executeTakeFirst();
      if (enabled.numUpdatedRows === 0n) return false;
      await writeRecoveryCodes(trx, userId, codes, now);
      return true;
    });
  }

  async useTotpStep(userId: number, step: number): Promise<boolean> {
    const result = await this.#db
      .updateTable("totp_factors")
      .set({ last_used_step: step })
      .where("user_id", "=", userId)
      .where("enabled_at", "is not", null)
      .where((eb) => eb.or([eb("last_used_step", "is", null), eb("last_used_step", "<", step)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  deleteSecondFactor(userId: number, tx?: Transaction): Promise<boolean> {
    return withinTransaction(this.#db, tx, async (trx) => {
      await lockUserRow(trx, userId);
      const factor = await trx
        .deleteFrom("totp_factors")
        .where("user_id", "=", userId)
        .returning("enabled_at")
        .executeTakeFirst();
      await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
      await trx.deleteFrom("mfa_challenges").where("user_id", "=", userId).execute();
      await takeBack(trx, userId, this.#takeBack);
      return factor !== undefined && factor.enabled_at !== null;
    });
  }

  replaceRecoveryCodes(
    userId: number,
    codes: RecoveryCodeHashes,
    now: Date,
    tx?: Transaction,
  ): Promise<boolean> {
    return withinTransaction(this.#db, tx, async (trx) => {
      // Takes the factor's row lock (PostgreSQL), so a concurrent turn-off waits or wins whole.
      const factor = await trx
        .updateTable("totp_factors")
        .set({ enabled_at: sql`enabled_at` })
        .where("user_id", "=", userId)
        .where("enabled_at", "is not", null)
        .executeTakeFirst();
      if (factor.numUpdatedRows === 0n) return false;
      await writeRecoveryCodes(trx, userId, codes, now);
      return true;
    });
  }

  async unusedRecoveryCodes(userId: number): Promise<StoredRecoveryCode[]> {
    const rows = await this.#db
      .selectFrom("recovery_codes")
      .select(["id", "salt", "code_hash"])
      .where("user_id", "=", userId)
      .where("used_at", "is", null)
      .orderBy("id")
      .execute();
    return rows.map((row) => ({ id: Number(row.id), salt: row.salt, hash: row.code_hash }));
  }

  async useRecoveryCode(id: number, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable("recovery_codes")
      .set({ used_at: now.getTime() })
      .where("id", "=", id)
      .where("used_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

/** Replaces the user's recovery codes with these, inside the caller's transaction. */
async function writeRecoveryCodes(
  trx: Kysely<Database>,
  userId: number,
  codes: RecoveryCodeHashes,
  now: Date,
): Promise<void> {
  await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  await trx
    .insertInto("recovery_codes")
    .values(
      codes.hashes.map((hash) => ({
        user_id: userId,
        salt: codes.salt,
        code_hash: hash,
        created_at: now.getTime(),
      })),
    )
    .execute();
}
