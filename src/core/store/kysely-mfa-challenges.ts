import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/schema.js";
import type { MfaChallengeStore, StoredMfaChallenge } from "../second-step.js";
import type { LoginWay } from "../session.js";
import { toDate } from "./row-mapping.js";

/** Logins waiting for their second step, in mfa_challenges (by the SHA-256 of their mfa_token). */
export class KyselyMfaChallengeStore implements MfaChallengeStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insertMfaChallenge(challenge: {
    tokenHash: string;
    userId: number;
    createdAt: Date;
    expiresAt: Date;
    firstStep: LoginWay | null;
  }): Promise<void> {
    await this.#db
      .insertInto("mfa_challenges")
      .values({
        token_hash: challenge.tokenHash,
        user_id: challenge.userId,
        created_at: challenge.createdAt.getTime(),
        expires_at: challenge.expiresAt.getTime(),
        first_step: challenge.firstStep,
      })
      .execute();
  }

  async reserveMfaAttempt(
    tokenHash: string,
    now: Date,
    maxAttempts: number,
  ): Promise<StoredMfaChallenge | null> {
    const row = await this.#db
      .updateTable("mfa_challenges")
      .set((eb) => ({ failures: eb("failures", "+", 1) }))
      .where("token_hash", "=", tokenHash)
      .where("failures", "<", maxAttempts)
      .where("expires_at", ">", now.getTime())
      .returning(["user_id", "expires_at", "failures", "first_step"])
      .executeTakeFirst();
    if (!row) return null;
    return {
      userId: Number(row.user_id),
      expiresAt: toDate(row.expires_at),
      failures: Number(row.failures),
      firstStep: loginWayOf(row.first_step),
    };
  }

  async deleteMfaChallenge(tokenHash: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("mfa_challenges")
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async purgeExpiredMfaChallenges(now: Date): Promise<void> {
    await this.#db.deleteFrom("mfa_challenges").where("expires_at", "<=", now.getTime()).execute();
  }
}

const LOGIN_WAYS: ReadonlySet<string> = new Set<LoginWay>(["form", "json", "basic", "page"]);

/** The stored text as a LoginWay; null for none, or for one this release does not know. */
function loginWayOf(text: string | null): LoginWay | null {
  return text !== null && LOGIN_WAYS.has(text) ? (text as LoginWay) : null;
}
