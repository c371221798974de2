import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/schema.js";
import type { FailureCount, ThrottleStore } from "../throttle.js";
import { toDate } from "./row-mapping.js";

/** Login throttling and request-limit counters in the database (table login_throttle). */
export class KyselyThrottleStore implements ThrottleStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async lockedUntil(keys: readonly string[], now: Date): Promise<Date | null> {
    // No key, no lock (PostgreSQL refuses the empty IN list Kysely would write).
    if (keys.length === 0) return null;
    const row = await this.#db
      .selectFrom("login_throttle")
      .select((eb) => eb.fn.max("locked_until").as("until"))
      .where("key", "in", keys)
      .where("locked_until", ">", now.getTime())
      .executeTakeFirst();
    return row?.until ? toDate(row.until) : null;
  }

  async recordFailure(key: string, now: Date, windowMs: number): Promise<FailureCount> {
    const nowMs = now.getTime();
    // One statement, so failures counted at once on two instances both count.
    const row = await this.#db
      .insertInto("login_throttle")
      .values({ key, failures: 1, window_ends_at: nowMs + windowMs, locked_until: 0 })
      .onConflict((conflict) =>
        conflict.column("key").doUpdateSet((eb) => {
          const closed = eb("login_throttle.window_ends_at", "<=", nowMs);
          return {
            failures: eb
              .case()
              .when(closed)
              .then(1)
              .else(eb("login_throttle.failures", "+", 1))
              .end(),
            window_ends_at: eb
              .case()
              .when(closed)
              .then(nowMs + windowMs)
              .else(eb.ref("login_throttle.window_ends_at"))
              .end(),
          };
        }),
      )
      .returning(["failures", "window_ends_at"])
      .executeTakeFirstOrThrow();
    return { failures: Number(row.failures), windowEndsAt: toDate(row.window_ends_at) };
  }

  async lock(key: string, until: Date): Promise<void> {
    await this.#db
      .updateTable("login_throttle")
      .set({ locked_until: until.getTime() })
      .where("key", "=", key)
      .execute();
  }

  async clear(key: string): Promise<void> {
    await this.#db.deleteFrom("login_throttle").where("key", "=", key).execute();
  }

  /** Deletes counters whose window has closed and whose lock has ended. */
  async purgeExpired(now: Date): Promise<void> {
    await this.#db
      .deleteFrom("login_throttle")
      .where("window_ends_at", "<=", now.getTime())
      .where("locked_until", "<=", now.getTime())
      .execute();
  }
}
