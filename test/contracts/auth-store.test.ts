import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "kysely";
import { KyselyResetTokenStore } from "../../src/capabilities/password-reset/kysely-store.js";
import { UserAlreadyExistsError } from "../../src/core/errors.js";
import { KyselyStore } from "../../src/core/store/kysely-store.js";
import type { TakeBackStep } from "../../src/core/store/take-back.js";
import type { NewSession } from "../../src/core/store.js";
import { hashToken } from "../../src/core/token.js";
import type { UserRecord } from "../../src/core/user.js";
import { connect } from "../../src/platform/db/connect.js";
import { allMigrations } from "../../src/platform/db/migrations/index.js";
import {
  AN_INSTANT,
  at,
  type DatabaseUnderTest,
  HOUR,
  inRolledBack,
  MINUTE,
  onEveryDatabase,
  SECOND,
  TIMEOUT,
} from "./harness.js";

// AuthStore (src/core/store.ts), implemented by KyselyStore: users,
// sessions, the take-back writes, transactions and migrations.

/** A session named `name`: its public id, and the token whose hash is stored. */
function newSession(userId: number, name: string, changes: Partial<NewSession> = {}): NewSession {
  return {
    publicId: name,
    tokenHash: hashToken(name),
    userId,
    createdAt: AN_INSTANT,
    expiresAt: at(AN_INSTANT, HOUR),
    ip: null,
    userAgent: null,
    ...changes,
  };
}

/** The public ids of the sessions found by these names' tokens. */
async function sessionsFound(t: DatabaseUnderTest, names: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    const session = await t.store.findSessionByTokenHash(hashToken(name));
    if (session) found.push(session.session.publicId);
  }
  return found;
}

/** A take-back step that records whom it ran for, or fails. */
function takeBackStep(ran: number[], fail = false): TakeBackStep {
  return async (trx, userId) => {
    ran.push(userId);
    // Writes in the transaction it is given: a no-op update of the user row.
    await trx
      .updateTable("users")
      .set({ updated_at: sql<number>`updated_at` })
      .where("id", "=", userId)
      .execute();
    if (fail) throw new Error("take-back step failed");
  };
}

await onEveryDatabase("AuthStore contract", (t) => {
  test(
    "insertUser returns the user as stored: a numeric id, the email as typed, exact Dates",
    TIMEOUT,
    async () => {
      const user = await t.store.insertUser("Bob@Example.com", "$2b$04$hash", AN_INSTANT);
      assert.equal(typeof user.id, "number");
      assert.equal(user.email, "Bob@Example.com");
      assert.equal(user.hashedPassword, "$2b$04$hash");
      assert.ok(user.createdAt instanceof Date && user.updatedAt instanceof Date);
      assert.equal(user.createdAt.getTime(), AN_INSTANT.getTime());
      assert.equal(user.updatedAt.getTime(), AN_INSTANT.getTime());
      assert.equal(user.emailVerifiedAt, null);
      assert.deepEqual(await t.store.findUser({ id: user.id }), user);
      const second = await t.store.insertUser("alice@example.com", "h2", at(AN_INSTANT, 1));
      assert.equal(typeof second.id, "number");
      assert.notEqual(second.id, user.id);
    },
  );

  test(
    "insertUser refuses an email taken in any case with UserAlreadyExistsError; the first user stays",
    TIMEOUT,
    async () => {
      const carol = await t.store.insertUser("carol@example.com", "h", AN_INSTANT);
      await assert.rejects(
        t.store.insertUser("CAROL@example.COM", "other", AN_INSTANT),
        UserAlreadyExistsError,
      );
      await assert.rejects(
        t.store.insertUser("carol@example.com", "other", AN_INSTANT),
        UserAlreadyExistsError,
      );
      assert.deepEqual(await t.store.findUser({ email: "carol@example.com" }), carol);
      assert.equal(await t.count("users"), 1);
    },
  );

  test(
    "insertUser in a transaction: nothing when it rolls back, the user when it commits",
    TIMEOUT,
    async () => {
      const inside = await inRolledBack(t.store, async (tx) =>
        t.store.insertUser("gone@example.com", "h", AN_INSTANT, tx),
      );
      assert.equal(typeof inside.id, "number", "returned inside the transaction");
      assert.equal(await t.store.findUser({ email: "gone@example.com" }), null);
      const kept = await t.store.transaction((tx) =>
        t.store.insertUser("kept@example.com", "h", AN_INSTANT, tx),
      );
      assert.deepEqual(await t.store.findUser({ id: kept.id }), kept);
    },
  );

  test(
    "findUser: every criterion given must match; email case-insensitively; Dates to the millisecond",
    TIMEOUT,
    async () => {
      const dave = await t.store.insertUser("dave@example.com", "hash-d", AN_INSTANT);
      const erin = await t.store.insertUser("erin@example.com", "hash-e", at(AN_INSTANT, 1));
      assert.equal((await t.store.findUser({ email: "DAVE@Example.com" }))?.id, dave.id);
      assert.equal((await t.store.findUser({ id: dave.id }))?.email, "dave@example.com");
      assert.equal((await t.store.findUser({ hashedPassword: "hash-e" }))?.id, erin.id);
      assert.equal((await t.store.findUser({ createdAt: at(AN_INSTANT, 1) }))?.id, erin.id);
      assert.equal((await t.store.findUser({ updatedAt: AN_INSTANT }))?.id, dave.id);
      assert.equal(
        (
          await t.store.findUser({
            id: dave.id,
            email: "dave@example.com",
            hashedPassword: "hash-d",
          })
        )?.id,
        dave.id,
      );
      assert.equal(await t.store.findUser({ id: dave.id, hashedPassword: "hash-e" }), null);
      assert.equal(
        await t.store.findUser({ email: "erin@example.com", createdAt: AN_INSTANT }),
        null,
      );
      assert.equal(await t.store.findUser({ email: "nobody@example.com" }), null);
      assert.equal(await t.store.findUser({ id: 987_654 }), null);
    },
  );

  test(
    "findUser: a null or undefined criterion never matches, nor does text no row can hold",
    TIMEOUT,
    async () => {
      const frank = await t.store.insertUser("frank@example.com", "h", AN_INSTANT);
      const passwordless = await t.store.insertUser("nopass@example.com", "h", AN_INSTANT);
      await t.db
        .updateTable("users")
        .set({ hashed_password: null })
        .where("id", "=", passwordless.id)
        .execute();
      assert.equal((await t.store.findUser({ id: passwordless.id }))?.hashedPassword, null);
      assert.equal(await t.store.findUser({ id: frank.id, email: null }), null);
      assert.equal(await t.store.findUser({ id: frank.id, email: undefined }), null);
      assert.equal(await t.store.findUser({ id: passwordless.id, hashedPassword: null }), null);
      assert.equal(await t.store.findUser({ id: null }), null);
      assert.equal(await t.store.findUser({ email: "frank\u0000@example.com" }), null);
      assert.equal(await t.store.findUser({ hashedPassword: "\ud800" }), null);
    },
  );

  test(
    "updateUser changes the email and the hash and stamps updatedAt; false for an unknown id",
    TIMEOUT,
    async () => {
      const gina = await t.store.insertUser("gina@example.com", "old-hash", AN_INSTANT);
      const later = at(AN_INSTANT, MINUTE + 7);
      assert.equal(await t.store.updateUser(gina.id, { hashedPassword: "new-hash" }, later), true);
      let now = await t.store.findUser({ id: gina.id });
      assert.equal(now?.hashedPassword, "new-hash");
      assert.equal(now?.updatedAt.getTime(), later.getTime());
      assert.equal(now?.createdAt.getTime(), AN_INSTANT.getTime());
      assert.equal(await t.store.updateUser(gina.id, { email: "Gina2@Example.com" }, later), true);
      now = await t.store.findUser({ email: "gina2@example.com" });
      assert.equal(now?.id, gina.id);
      assert.equal(now?.email, "Gina2@Example.com");
      assert.equal(await t.store.findUser({ email: "gina@example.com" }), null);
      assert.equal(await t.store.updateUser(987_654, { hashedPassword: "x" }, later), false);
      assert.equal(await t.store.updateUser(987_654, {}, later), false);
    },
  );

  test(
    "updateUser to an email another user has, in any case: UserAlreadyExistsError, nothing written",
    TIMEOUT,
    async () => {
      const hana = await t.store.insertUser("hana@example.com", "h", AN_INSTANT);
      await t.store.insertUser("taken@example.com", "h", AN_INSTANT);
      await assert.rejects(
        t.store.updateUser(
          hana.id,
          { email: "TAKEN@example.com", hashedPassword: "new" },
          at(AN_INSTANT, 1),
        ),
        UserAlreadyExistsError,
      );
      assert.deepEqual(await t.store.findUser({ id: hana.id }), hana);
    },
  );

  test(
    "listUsers: in id order after afterId, at most limit, each with its sessions live at now, never a hash",
    TIMEOUT,
    async () => {
      const users: UserRecord[] = [];
      for (let i = 0; i < 4; i++)
        users.push(
          await t.store.insertUser(`list${i}@example.com`, `hash-${i}`, at(AN_INSTANT, i)),
        );
      const [u0, u1, , u3] = users as [UserRecord, UserRecord, UserRecord, UserRecord];
      await t.db
        .updateTable("users")
        .set({ email_verified_at: at(AN_INSTANT, 99).getTime() })
        .where("id", "=", u1.id)
        .execute();
      await t.store.insertSession(newSession(u1.id, "live-1"));
      await t.store.insertSession(newSession(u1.id, "live-2"));
      // Ends exactly at `now`: not live.
      await t.store.insertSession(
        newSession(u1.id, "ended", { expiresAt: at(AN_INSTANT, MINUTE) }),
      );
      await t.store.insertSession(newSession(u3.id, "live-3"));
      const now = at(AN_INSTANT, MINUTE);
      const all = await t.store.listUsers({ limit: 10, now });
      assert.deepEqual(
        all.map((user) => user.id),
        [...users.map((user) => user.id)].sort((a, b) => a - b),
      );
      const listed1 = all.find((user) => user.id === u1.id);
      assert.deepEqual(listed1, {
        id: u1.id,
        email: "list1@example.com",
        createdAt: at(AN_INSTANT, 1),
        updatedAt: at(AN_INSTANT, 1),
        emailVerifiedAt: at(AN_INSTANT, 99),
        sessions: 2,
      });
      assert.ok(all.every((user) => !("hashedPassword" in user)));
      assert.equal(all.find((user) => user.id === u0.id)?.sessions, 0);
      assert.equal(all.find((user) => user.id === u3.id)?.sessions, 1);
      const ordered = all.map((user) => user.id);
      const afterSecond = await t.store.listUsers({ limit: 10, afterId: ordered[1], now });
      assert.deepEqual(
        afterSecond.map((user) => user.id),
        ordered.slice(2),
      );
      const firstTwo = await t.store.listUsers({ limit: 2, now });
      assert.deepEqual(
        firstTwo.map((user) => user.id),
        ordered.slice(0, 2),
      );
      assert.deepEqual(
        await t.store.listUsers({ limit: 10, afterId: Math.max(...ordered), now }),
        [],
      );
    },
  );

  test(
    "deleteUser: true once; the user's sessions and reset tokens go with it, others' stay",
    TIMEOUT,
    async () => {
      const resets = new KyselyResetTokenStore(t.db);
      const ivan = await t.user();
      const other = await t.user();
      for (const [user, name] of [
        [ivan, "ivan"],
        [other, "other"],
      ] as const) {
        await t.store.insertSession(newSession(user.id, `session-${name}`));
        await resets.addResetToken(user.id, `reset-${name}`, AN_INSTANT, at(AN_INSTANT, HOUR), 10);
      }
      assert.equal(await t.store.deleteUser(ivan.id), true);
      assert.equal(await t.store.findUser({ id: ivan.id }), null);
      assert.equal(await t.store.findSessionByTokenHash(hashToken("session-ivan")), null);
      assert.equal(await resets.findResetToken("reset-ivan"), null);
      assert.equal(await t.count("sessions", ivan.id), 0);
      assert.equal(await t.count("password_reset_tokens", ivan.id), 0);
      assert.equal(await t.store.deleteUser(ivan.id), false);
      assert.ok(await t.store.findSessionByTokenHash(hashToken("session-other")));
      assert.ok(await resets.findResetToken("reset-other"));
    },
  );

  test("deleteUser in a transaction that rolls back deletes nothing", TIMEOUT, async () => {
    const user = await t.user();
    await t.store.insertSession(newSession(user.id, "stays"));
    assert.equal(await inRolledBack(t.store, (tx) => t.store.deleteUser(user.id, tx)), true);
    assert.ok(await t.store.findUser({ id: user.id }));
    assert.ok(await t.store.findSessionByTokenHash(hashToken("stays")));
  });

  test(
    "sessions: found by the token's hash only, with every field and the user as stored, never its hash",
    TIMEOUT,
    async () => {
      const user = await t.store.insertUser("hana@example.com", "h", at(AN_INSTANT, -HOUR));
      await t.store.insertSession(
        newSession(user.id, "pub-1", {
          tokenHash: hashToken("token-1"),
          createdAt: AN_INSTANT,
          expiresAt: at(AN_INSTANT, 30 * 24 * HOUR + 3),
          ip: "2001:db8::1",
          userAgent: "contract test",
        }),
      );
      await t.store.insertSession(
        newSession(user.id, "pub-2", { tokenHash: hashToken("token-2") }),
      );
      assert.equal(
        await t.store.findSessionByTokenHash("token-1"),
        null,
        "the token itself finds nothing",
      );
      assert.equal(await t.store.findSessionByTokenHash(hashToken("token-3")), null);
      const found = await t.store.findSessionByTokenHash(hashToken("token-1"));
      assert.ok(found);
      assert.equal(typeof found.session.id, "number");
      assert.deepEqual(found.session, {
        id: found.session.id,
        publicId: "pub-1",
        userId: user.id,
        createdAt: AN_INSTANT,
        lastSeenAt: AN_INSTANT,
        expiresAt: at(AN_INSTANT, 30 * 24 * HOUR + 3),
        ip: "2001:db8::1",
        userAgent: "contract test",
      });
      assert.deepEqual(found.user, {
        id: user.id,
        email: "hana@example.com",
        createdAt: at(AN_INSTANT, -HOUR),
        updatedAt: at(AN_INSTANT, -HOUR),
        emailVerifiedAt: null,
      });
      assert.equal("hashedPassword" in found.user, false);
      const second = await t.store.findSessionByTokenHash(hashToken("token-2"));
      assert.equal(second?.session.publicId, "pub-2");
      assert.equal(second?.session.ip, null);
      assert.equal(second?.session.userAgent, null);
    },
  );

  test("insertSession in a transaction that rolls back leaves no session", TIMEOUT, async () => {
    const user = await t.user();
    await inRolledBack(t.store, (tx) => t.store.insertSession(newSession(user.id, "never"), tx));
    assert.equal(await t.store.findSessionByTokenHash(hashToken("never")), null);
    await t.store.transaction((tx) => t.store.insertSession(newSession(user.id, "kept"), tx));
    assert.ok(await t.store.findSessionByTokenHash(hashToken("kept")));
  });

  test(
    "touchSession moves that session's lastSeenAt, exactly, and no other's",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await t.store.insertSession(newSession(user.id, "touched"));
      await t.store.insertSession(newSession(user.id, "untouched"));
      const found = await t.store.findSessionByTokenHash(hashToken("touched"));
      assert.ok(found);
      await t.store.touchSession(found.session.id, at(AN_INSTANT, 61 * SECOND + 1));
      const touched = await t.store.findSessionByTokenHash(hashToken("touched"));
      assert.equal(
        touched?.session.lastSeenAt.getTime(),
        at(AN_INSTANT, 61 * SECOND + 1).getTime(),
      );
      assert.equal(touched?.session.createdAt.getTime(), AN_INSTANT.getTime());
      const other = await t.store.findSessionByTokenHash(hashToken("untouched"));
      assert.equal(other?.session.lastSeenAt.getTime(), AN_INSTANT.getTime());
    },
  );

  test(
    "deleteSessionByTokenHash: true when it deleted one, then false; a rolled-back one stays",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await t.store.insertSession(newSession(user.id, "one"));
      await t.store.insertSession(newSession(user.id, "two"));
      assert.equal(
        await inRolledBack(t.store, (tx) => t.store.deleteSessionByTokenHash(hashToken("one"), tx)),
        true,
      );
      assert.ok(await t.store.findSessionByTokenHash(hashToken("one")));
      assert.equal(
        await t.store.deleteSessionByTokenHash("one"),
        false,
        "by the hash, not the token",
      );
      assert.equal(await t.store.deleteSessionByTokenHash(hashToken("one")), true);
      assert.equal(await t.store.deleteSessionByTokenHash(hashToken("one")), false);
      assert.equal(await t.store.findSessionByTokenHash(hashToken("one")), null);
      assert.ok(await t.store.findSessionByTokenHash(hashToken("two")));
    },
  );

  test(
    "deleteSessionsOfUser ends every session of the user and says how many; others' stay",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      for (const name of ["a", "b", "c"]) await t.store.insertSession(newSession(user.id, name));
      await t.store.insertSession(newSession(other.id, "someone-else"));
      assert.equal(
        await inRolledBack(t.store, (tx) => t.store.deleteSessionsOfUser(user.id, tx)),
        3,
      );
      assert.equal(await t.count("sessions", user.id), 3, "rolled back: all stay");
      assert.equal(await t.store.deleteSessionsOfUser(user.id), 3);
      assert.deepEqual(await sessionsFound(t, ["a", "b", "c", "someone-else"]), ["someone-else"]);
      assert.equal(await t.store.deleteSessionsOfUser(user.id), 0);
    },
  );

  test(
    "deleteOtherSessionsOfUser: all of a user's sessions but one end, and how many",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      for (const name of ["keep", "end-1", "end-2"])
        await t.store.insertSession(newSession(user.id, name));
      await t.store.insertSession(newSession(other.id, "someone-else"));
      const kept = await t.store.findSessionByTokenHash(hashToken("keep"));
      assert.ok(kept);
      assert.equal(
        await inRolledBack(t.store, (tx) =>
          t.store.deleteOtherSessionsOfUser(user.id, kept.session.id, tx),
        ),
        2,
      );
      assert.equal(await t.count("sessions", user.id), 3, "rolled back: all stay");
      assert.equal(await t.store.deleteOtherSessionsOfUser(user.id, kept.session.id), 2);
      assert.deepEqual(await sessionsFound(t, ["keep", "end-1", "end-2", "someone-else"]), [
        "keep",
        "someone-else",
      ]);
      assert.equal(await t.store.deleteOtherSessionsOfUser(user.id, kept.session.id), 0);
    },
  );

  test(
    "ending a user's sessions runs the take-back steps for the user in the same transaction",
    TIMEOUT,
    async () => {
      // take-back.ts: every write that takes an account back (sessions ended included) runs them.
      const user = await t.user();
      await t.store.insertSession(newSession(user.id, "keep"));
      await t.store.insertSession(newSession(user.id, "end"));
      const kept = await t.store.findSessionByTokenHash(hashToken("keep"));
      assert.ok(kept);
      const ran: number[] = [];
      const failing = new KyselyStore(t.db, t.dialect, [takeBackStep(ran, true)]);
      await assert.rejects(failing.deleteSessionsOfUser(user.id), /take-back step failed/);
      await assert.rejects(
        failing.deleteOtherSessionsOfUser(user.id, kept.session.id),
        /take-back step failed/,
      );
      assert.deepEqual(ran, [user.id, user.id]);
      assert.equal(await t.count("sessions", user.id), 2, "a failing step undoes the ending");
      const recorded: number[] = [];
      const recording = new KyselyStore(t.db, t.dialect, [takeBackStep(recorded)]);
      assert.equal(await recording.deleteOtherSessionsOfUser(user.id, kept.session.id), 1);
      assert.equal(await recording.deleteSessionsOfUser(user.id), 1);
      assert.deepEqual(recorded, [user.id, user.id]);
    },
  );

  test(
    "listSessionsOfUser: the user's sessions live at now (before their absolute end), newest first",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      const now = at(AN_INSTANT, HOUR);
      await t.store.insertSession(
        newSession(user.id, "middle", { createdAt: at(AN_INSTANT, 2), expiresAt: at(now, 1) }),
      );
      await t.store.insertSession(
        newSession(user.id, "newest", { createdAt: at(AN_INSTANT, 3), expiresAt: at(now, HOUR) }),
      );
      await t.store.insertSession(
        newSession(user.id, "oldest", { createdAt: at(AN_INSTANT, 1), expiresAt: at(now, HOUR) }),
      );
      await t.store.insertSession(
        newSession(user.id, "ends-now", { createdAt: at(AN_INSTANT, 4), expiresAt: now }),
      );
      await t.store.insertSession(
        newSession(other.id, "someone-else", { expiresAt: at(now, HOUR) }),
      );
      const listed = await t.store.listSessionsOfUser(user.id, now);
      assert.deepEqual(
        listed.map((session) => session.publicId),
        ["newest", "middle", "oldest"],
      );
      assert.equal(listed[1]?.expiresAt.getTime(), at(now, 1).getTime());
      assert.equal(listed[1]?.createdAt.getTime(), at(AN_INSTANT, 2).getTime());
      assert.ok(
        listed.every((session) => session.userId === user.id && typeof session.id === "number"),
      );
      assert.ok(
        listed.every((session) => !("tokenHash" in session)),
        "never the token's hash",
      );
      assert.deepEqual(await t.store.listSessionsOfUser(user.id, at(now, HOUR)), []);
    },
  );

  test(
    "deleteSessionOfUser: true only for the user's own session by its public id",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      await t.store.insertSession(newSession(user.id, "mine"));
      await t.store.insertSession(newSession(other.id, "theirs"));
      assert.equal(await t.store.deleteSessionOfUser(user.id, "theirs"), false);
      assert.ok(await t.store.findSessionByTokenHash(hashToken("theirs")), "another user's stays");
      assert.equal(
        await inRolledBack(t.store, (tx) => t.store.deleteSessionOfUser(user.id, "mine", tx)),
        true,
      );
      assert.ok(await t.store.findSessionByTokenHash(hashToken("mine")), "rolled back: it stays");
      assert.equal(await t.store.deleteSessionOfUser(user.id, "mine"), true);
      assert.equal(await t.store.findSessionByTokenHash(hashToken("mine")), null);
      assert.equal(await t.store.deleteSessionOfUser(user.id, "mine"), false);
    },
  );

  test(
    "changePassword: the new hash, every other session ended, waiting second steps voided, take-back steps run",
    TIMEOUT,
    async () => {
      const ran: number[] = [];
      const store = new KyselyStore(t.db, t.dialect, [takeBackStep(ran)]);
      const user = await t.user();
      const other = await t.user();
      for (const name of ["keep", "end-1", "end-2"])
        await store.insertSession(newSession(user.id, name));
      await store.insertSession(newSession(other.id, "someone-else"));
      const challenge = (tokenHash: string, userId: number) =>
        store.mfaChallenges.insertMfaChallenge({
          tokenHash,
          userId,
          createdAt: AN_INSTANT,
          expiresAt: at(AN_INSTANT, 5 * MINUTE),
          firstStep: "json",
        });
      await challenge("waiting", user.id);
      await challenge("others-waiting", other.id);
      const kept = await store.findSessionByTokenHash(hashToken("keep"));
      assert.ok(kept);
      const later = at(AN_INSTANT, 42);
      await store.changePassword(user.id, "new-hash", kept.session.id, later);
      const changed = await store.findUser({ id: user.id });
      assert.equal(changed?.hashedPassword, "new-hash");
      assert.equal(changed?.updatedAt.getTime(), later.getTime());
      assert.deepEqual(await sessionsFound(t, ["keep", "end-1", "end-2", "someone-else"]), [
        "keep",
        "someone-else",
      ]);
      assert.equal(await store.mfaChallenges.reserveMfaAttempt("waiting", AN_INSTANT, 5), null);
      assert.ok(await store.mfaChallenges.reserveMfaAttempt("others-waiting", AN_INSTANT, 5));
      assert.deepEqual(ran, [user.id]);
      assert.equal((await store.findUser({ id: other.id }))?.hashedPassword, other.hashedPassword);
    },
  );

  test(
    "changePassword writes nothing when its transaction rolls back or a take-back step fails",
    TIMEOUT,
    async () => {
      const user = await t.user();
      for (const name of ["keep", "other"]) await t.store.insertSession(newSession(user.id, name));
      await t.store.mfaChallenges.insertMfaChallenge({
        tokenHash: "waiting",
        userId: user.id,
        createdAt: AN_INSTANT,
        expiresAt: at(AN_INSTANT, 5 * MINUTE),
        firstStep: null,
      });
      const kept = await t.store.findSessionByTokenHash(hashToken("keep"));
      assert.ok(kept);
      const unchanged = async () => {
        assert.deepEqual(await t.store.findUser({ id: user.id }), user);
        assert.equal(await t.count("sessions", user.id), 2);
        assert.equal(await t.count("mfa_challenges", user.id), 1);
      };
      await inRolledBack(t.store, (tx) =>
        t.store.changePassword(user.id, "new", kept.session.id, AN_INSTANT, tx),
      );
      await unchanged();
      const failing = new KyselyStore(t.db, t.dialect, [takeBackStep([], true)]);
      await assert.rejects(
        failing.changePassword(user.id, "new", kept.session.id, at(AN_INSTANT, 1)),
        /take-back step failed/,
      );
      await unchanged();
    },
  );

  test(
    "purgeExpired removes expired and idle sessions and spent throttling rows; live ones stay",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const now = at(AN_INSTANT, 10 * HOUR);
      const idleCutoff = at(now, -5 * HOUR);
      const session = (name: string, createdAt: Date, expiresAt: Date) =>
        t.store.insertSession(newSession(user.id, name, { createdAt, expiresAt }));
      await session("expired", at(now, -3 * HOUR), at(now, -HOUR));
      await session("expires-now", at(now, -HOUR), now);
      await session("idle", at(now, -10 * HOUR), at(now, HOUR));
      await session("idle-at-cutoff", idleCutoff, at(now, HOUR));
      await session("live", at(now, -HOUR), at(now, HOUR));
      await session("seen-lately", at(now, -9 * HOUR), at(now, HOUR));
      const seen = await t.store.findSessionByTokenHash(hashToken("seen-lately"));
      assert.ok(seen);
      await t.store.touchSession(seen.session.id, at(idleCutoff, 1));
      // Throttling rows: one spent (window closed, lock ended), one counting, one locked.
      await t.store.recordFailure("spent", at(now, -2 * MINUTE), MINUTE);
      await t.store.lock("spent", at(now, -MINUTE));
      await t.store.recordFailure("counting", at(now, -30 * SECOND), MINUTE);
      await t.store.recordFailure("locked", at(now, -2 * MINUTE), MINUTE);
      await t.store.lock("locked", at(now, MINUTE));
      await t.store.purgeExpired(now, idleCutoff);
      assert.deepEqual(
        await sessionsFound(t, [
          "expired",
          "expires-now",
          "idle",
          "idle-at-cutoff",
          "live",
          "seen-lately",
        ]),
        ["live", "seen-lately"],
      );
      assert.equal(await t.count("login_throttle"), 2, "the spent row is gone");
      assert.equal((await t.store.recordFailure("counting", now, MINUTE)).failures, 2);
      assert.equal(
        (await t.store.lockedUntil(["locked"], now))?.getTime(),
        at(now, MINUTE).getTime(),
      );
    },
  );

  test(
    "transaction: commits when the work resolves, rolls back and rethrows when it throws; afterCommit only after a commit",
    TIMEOUT,
    async () => {
      const steps: string[] = [];
      const result = await t.store.transaction(async (tx) => {
        await t.store.insertUser("committed@example.com", "h", AN_INSTANT, tx);
        tx.afterCommit(() => steps.push("committed"));
        assert.deepEqual(steps, [], "not before the commit");
        return 7;
      });
      assert.equal(result, 7);
      assert.deepEqual(steps, ["committed"]);
      assert.ok(await t.store.findUser({ email: "committed@example.com" }));
      const failure = new Error("the work failed");
      await assert.rejects(
        t.store.transaction(async (tx) => {
          await t.store.insertUser("rolled-back@example.com", "h", AN_INSTANT, tx);
          tx.afterCommit(() => steps.push("rolled back"));
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.deepEqual(steps, ["committed"], "never after a rollback");
      assert.equal(await t.store.findUser({ email: "rolled-back@example.com" }), null);
      // A step that throws after the commit changes nothing of it.
      await t.store.transaction(async (tx) => {
        await t.store.insertUser("step-failed@example.com", "h", AN_INSTANT, tx);
        tx.afterCommit(() => {
          throw new Error("listener failed");
        });
      });
      assert.ok(await t.store.findUser({ email: "step-failed@example.com" }));
    },
  );

  test("ping answers while the database is open, and not once it is closed", TIMEOUT, async () => {
    await t.store.ping();
    const { db, dialect } = connect({ url: t.url });
    const own = new KyselyStore(db, dialect);
    await own.ping();
    await own.close();
    await assert.rejects(own.ping());
  });
});

await onEveryDatabase(
  "AuthStore.migrate contract",
  (t) => {
    const names = () => Object.keys(allMigrations(t.dialect));

    test(
      "migrate applies every migration once, in order, and says which; run again, none, and the data stays",
      TIMEOUT,
      async () => {
        assert.deepEqual(await t.store.migrate(), names());
        const user = await t.store.insertUser("leo@example.com", "h", AN_INSTANT);
        assert.deepEqual(await t.store.migrate(), []);
        const { db, dialect } = connect({ url: t.url });
        try {
          assert.deepEqual(
            await new KyselyStore(db, dialect).migrate(),
            [],
            "from another connection too",
          );
        } finally {
          await db.destroy();
        }
        assert.deepEqual(await t.store.findUser({ id: user.id }), user);
      },
    );

    test(
      "migrate called from several connections at once: all succeed, each migration applied once",
      TIMEOUT,
      async () => {
        const stores = [t.store, ...[1, 2].map(() => new KyselyStore(t.connection(), t.dialect))];
        const applied = await Promise.all(stores.map((store) => store.migrate()));
        assert.deepEqual(applied.flat().sort(), names().sort());
        for (const list of applied) {
          assert.deepEqual(
            list,
            names().filter((name) => list.includes(name)),
            "each in order",
          );
        }
        await t.store.ping();
        assert.ok(await t.store.insertUser("after@example.com", "h", AN_INSTANT));
      },
    );
  },
  { migrate: false },
);
