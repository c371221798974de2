import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, test } from "node:test";
import {
  InvalidRequestError,
  NoResultFound,
  UserAlreadyExistsError,
  ValueError,
} from "../../src/core/errors.js";
import { hashToken } from "../../src/core/token.js";
import { type AuthService, createAuth } from "../../src/main/create-auth.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";

const HOUR = 3_600_000;

// One suite, every database: SQLite always, PostgreSQL when it answers (always in CI).
for (const factory of await testDatabases()) {
  describe(`store and DB on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let service: AuthService;
    const drops: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      // database.drop, not () => database.drop(): that would see only the last one.
      drops.push(database.drop);
      service = await createAuth({ databaseUrl: database.url, bcryptCost: 4 });
    });
    afterEach(async () => {
      await service?.close();
    });
    after(async () => {
      for (const drop of drops) await drop();
    });

    test("addUser returns the user with a numeric id and Dates", async () => {
      const user = await service.db.addUser("Bob@Example.com", "$2b$04$hash");
      assert.equal(typeof user.id, "number");
      assert.equal(user.email, "Bob@Example.com");
      assert.equal(user.hashedPassword, "$2b$04$hash");
      assert.ok(user.createdAt instanceof Date && !Number.isNaN(user.createdAt.getTime()));
      assert.ok(Math.abs(user.createdAt.getTime() - Date.now()) < 60_000);
      const second = await service.db.addUser("alice@example.com", "h2");
      assert.ok(second.id > user.id);
    });

    test("addUser refuses a taken email, whatever its case", async () => {
      await service.db.addUser("carol@example.com", "h");
      await assert.rejects(service.db.addUser("CAROL@example.COM", "h"), UserAlreadyExistsError);
      await assert.rejects(
        service.db.addUser("carol@example.com", "h"),
        /User carol@example.com already exists/,
      );
    });

    test("findUserBy matches every criterion, email case-insensitively", async () => {
      const user = await service.db.addUser("dave@example.com", "hash-d");
      await service.db.addUser("erin@example.com", "hash-e");
      assert.equal((await service.db.findUserBy({ email: "DAVE@example.com" })).id, user.id);
      assert.equal((await service.db.findUserBy({ id: user.id })).email, "dave@example.com");
      assert.equal((await service.db.findUserBy({ hashed_password: "hash-d" })).id, user.id);
      assert.equal(
        (await service.db.findUserBy({ hashedPassword: "hash-d", email: "dave@example.com" })).id,
        user.id,
      );
      assert.equal((await service.db.findUserBy({ createdAt: user.createdAt })).id, user.id);
      await assert.rejects(
        service.db.findUserBy({ hashedPassword: "hash-e", email: "dave@example.com" }),
        NoResultFound,
      );
      await assert.rejects(service.db.findUserBy({ email: "nobody@example.com" }), NoResultFound);
    });

    test("findUserBy: invalid criteria throw InvalidRequestError, null never matches", async () => {
      await service.db.addUser("frank@example.com", "h");
      await assert.rejects(service.db.findUserBy({}), InvalidRequestError);
      await assert.rejects(service.db.findUserBy({ no_such_column: 1 }), InvalidRequestError);
      await assert.rejects(service.db.findUserBy({ session_id: "x" }), InvalidRequestError);
      await assert.rejects(service.db.findUserBy({ id: "1" }), InvalidRequestError);
      await assert.rejects(service.db.findUserBy({ email: null }), NoResultFound);
      await assert.rejects(service.db.findUserBy({ email: undefined }), NoResultFound);
    });

    test("updateUser changes attributes and refuses what is not one", async () => {
      const user = await service.db.addUser("gina@example.com", "old-hash");
      await service.db.updateUser(user.id, { hashed_password: "new-hash" });
      assert.equal((await service.db.findUserBy({ id: user.id })).hashedPassword, "new-hash");
      await service.db.updateUser(user.id, { email: "Gina2@example.com" });
      assert.equal((await service.db.findUserBy({ email: "gina2@example.com" })).id, user.id);
      await assert.rejects(service.db.updateUser(user.id, { not_an_attribute: "x" }), ValueError);
      await assert.rejects(service.db.updateUser(user.id, { id: 12 }), ValueError);
      await assert.rejects(service.db.updateUser(user.id, { email: 12 }), ValueError);
      await assert.rejects(service.db.updateUser(987_654, { hashedPassword: "x" }), NoResultFound);
      await assert.rejects(service.db.updateUser(987_654, {}), NoResultFound);
      await service.db.addUser("taken@example.com", "h");
      await assert.rejects(
        service.db.updateUser(user.id, { email: "TAKEN@example.com" }),
        UserAlreadyExistsError,
      );
    });

    test("sessions: all of a user's but one end in one statement", async () => {
      const store = service.store;
      const user = await service.db.addUser("olga@example.com", "h");
      const other = await service.db.addUser("omar@example.com", "h");
      const now = new Date();
      const open = (publicId: string, userId: number) =>
        store.insertSession({
          publicId,
          tokenHash: hashToken(publicId),
          userId,
          createdAt: now,
          expiresAt: new Date(now.getTime() + HOUR),
          ip: null,
          userAgent: null,
        });
      for (const name of ["keep", "end-1", "end-2"]) await open(name, user.id);
      await open("someone-else", other.id);
      const kept = await store.findSessionByTokenHash(hashToken("keep"));
      assert.ok(kept);
      assert.equal(await store.deleteOtherSessionsOfUser(user.id, kept.session.id), 2);
      const left = await store.listSessionsOfUser(user.id, now);
      assert.deepEqual(
        left.map((session) => session.publicId),
        ["keep"],
      );
      assert.equal((await store.listSessionsOfUser(other.id, now)).length, 1, "others untouched");
    });

    test("sessions: found by the token's hash only, touched, deleted", async () => {
      const store = service.store;
      const user = await service.db.addUser("hana@example.com", "h");
      const now = new Date();
      await store.insertSession({
        publicId: "pub-1",
        tokenHash: hashToken("token-1"),
        userId: user.id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + HOUR),
        ip: "127.0.0.1",
        userAgent: "test",
      });
      assert.equal(await store.findSessionByTokenHash("token-1"), null);
      const found = await store.findSessionByTokenHash(hashToken("token-1"));
      assert.ok(found);
      assert.equal(found.user.id, user.id);
      assert.equal(found.user.email, "hana@example.com");
      assert.equal("hashedPassword" in found.user, false);
      assert.equal(found.session.userId, user.id);
      assert.equal(found.session.expiresAt.getTime(), now.getTime() + HOUR);
      await store.touchSession(found.session.id, new Date(now.getTime() + 1000));
      const touched = await store.findSessionByTokenHash(hashToken("token-1"));
      assert.equal(touched?.session.lastSeenAt.getTime(), now.getTime() + 1000);
      assert.equal(await store.deleteSessionByTokenHash(hashToken("token-1")), true);
      assert.equal(await store.deleteSessionByTokenHash(hashToken("token-1")), false);
    });

    test("reset tokens: several live per user, one consumed once, in one transaction, voiding the rest", async () => {
      const user = await service.db.addUser("ivan@example.com", "old");
      const now = new Date();
      const later = new Date(now.getTime() + HOUR);
      await service.stores.resetTokens.addResetToken(user.id, "hash-a", now, later, 10);
      await service.stores.resetTokens.addResetToken(user.id, "hash-b", now, later, 10);
      assert.equal(
        (await service.stores.resetTokens.findResetToken("hash-a"))?.emailNormalized,
        "ivan@example.com",
      );
      assert.equal(
        (await service.stores.resetTokens.findResetToken("hash-b"))?.emailNormalized,
        "ivan@example.com",
      );
      const attempts = await Promise.all(
        ["new-1", "new-2", "new-3"].map((hash) =>
          service.stores.resetTokens.completePasswordReset("hash-b", user.id, hash, now),
        ),
      );
      assert.deepEqual(attempts.filter(Boolean).length, 1);
      assert.match((await service.db.findUserBy({ id: user.id })).hashedPassword ?? "", /^new-/);
      assert.equal(await service.stores.resetTokens.findResetToken("hash-b"), null);
      assert.equal(
        await service.stores.resetTokens.findResetToken("hash-a"),
        null,
        "a completed reset voids the others",
      );
    });

    test("reset tokens past the live limit void the oldest; expired ones go", async () => {
      const user = await service.db.addUser("ivy@example.com", "old");
      const now = new Date();
      const later = new Date(now.getTime() + HOUR);
      await service.stores.resetTokens.addResetToken(
        user.id,
        "gone",
        new Date(now.getTime() - 2 * HOUR),
        new Date(now.getTime() - HOUR),
        2,
      );
      for (const hash of ["one", "two", "three"])
        await service.stores.resetTokens.addResetToken(user.id, hash, now, later, 2);
      assert.equal(
        await service.stores.resetTokens.findResetToken("one"),
        null,
        "the oldest beyond 2",
      );
      assert.ok(await service.stores.resetTokens.findResetToken("two"));
      assert.ok(await service.stores.resetTokens.findResetToken("three"));
      assert.equal(await service.stores.resetTokens.findResetToken("gone"), null);
    });

    test("an expired reset token cannot be consumed and nothing is written", async () => {
      const user = await service.db.addUser("judy@example.com", "old");
      const now = new Date();
      await service.stores.resetTokens.addResetToken(
        user.id,
        "hash-x",
        new Date(now.getTime() - 2 * HOUR),
        new Date(now.getTime() - HOUR),
        10,
      );
      assert.equal(
        await service.stores.resetTokens.completePasswordReset("hash-x", user.id, "new", now),
        false,
      );
      assert.equal((await service.db.findUserBy({ id: user.id })).hashedPassword, "old");
    });

    test("purgeExpired removes expired and idle sessions and expired reset tokens", async () => {
      const store = service.store;
      const user = await service.db.addUser("kim@example.com", "h");
      const now = new Date();
      const session = (name: string, createdAt: number, expiresAt: number) =>
        store.insertSession({
          publicId: name,
          tokenHash: hashToken(name),
          userId: user.id,
          createdAt: new Date(createdAt),
          expiresAt: new Date(expiresAt),
          ip: null,
          userAgent: null,
        });
      await session("expired", now.getTime() - 3 * HOUR, now.getTime() - HOUR);
      await session("idle", now.getTime() - 10 * HOUR, now.getTime() + HOUR);
      await session("live", now.getTime(), now.getTime() + HOUR);
      await service.stores.resetTokens.addResetToken(
        user.id,
        "old-token",
        new Date(0),
        new Date(now.getTime() - 1),
        10,
      );
      await store.purgeExpired(now, new Date(now.getTime() - 5 * HOUR));
      await service.stores.resetTokens.purgeExpiredResetTokens(now);
      assert.equal(await store.findSessionByTokenHash(hashToken("expired")), null);
      assert.equal(await store.findSessionByTokenHash(hashToken("idle")), null);
      assert.ok(await store.findSessionByTokenHash(hashToken("live")));
      assert.equal(await service.stores.resetTokens.findResetToken("old-token"), null);
    });

    test("migrations run again over existing data and keep it", async () => {
      await service.db.addUser("leo@example.com", "h");
      await service.close();
      service = await createAuth({ databaseUrl: database.url, bcryptCost: 4 });
      assert.equal((await service.db.findUserBy({ email: "leo@example.com" })).hashedPassword, "h");
    });

    test("ping answers while the database is open", async () => {
      await service.store.ping();
    });
  });
}
