import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, test } from "node:test";
import {
  InvalidRequestError,
  NoResultFound,
  UserAlreadyExistsError,
  ValueError,
} from "../../src/core/errors.js";
import { type AuthService, createAuth } from "../../src/main/create-auth.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";

// The original library's DB class (src/main/db.ts) over the store, on every
// database: SQLite always, PostgreSQL when it answers (always in CI). The
// store's own promises are its contract: test/contracts/auth-store.test.ts.
for (const factory of await testDatabases()) {
  describe(`the DB class on ${factory.name}`, {
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
  });
}
