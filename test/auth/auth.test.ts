import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, beforeEach, describe, test } from "node:test";
import {
  InvalidEmailError,
  InvalidPasswordError,
  InvalidResetTokenError,
  UnknownEmailError,
  UserAlreadyExistsError,
} from "../../src/core/errors.js";
import { resolveAuthSettings } from "../../src/core/settings.js";
import { hashToken } from "../../src/core/token.js";
import { Auth } from "../../src/main/auth.js";
import { type AuthService, createAuth } from "../../src/main/create-auth.js";
import { manualClock } from "../helpers/clock.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { tempDir } from "../helpers/server.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

for (const factory of await testDatabases()) {
  describe(`Auth on ${factory.name}`, { skip: "skip" in factory ? factory.skip : false }, () => {
    let database: TestDatabase;
    let service: AuthService;
    let auth: Auth;
    let clock: ReturnType<typeof manualClock>;
    const drops: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      // database.drop, not () => database.drop(): that would see only the last one.
      drops.push(database.drop);
      clock = manualClock();
      service = await createAuth({ databaseUrl: database.url, bcryptCost: 4, now: clock.now });
      auth = service.auth;
    });
    afterEach(async () => {
      await service?.close();
    });
    after(async () => {
      for (const drop of drops) await drop();
    });

    test("registerUser stores a bcrypt hash and returns the user without it", async () => {
      const user = await auth.registerUser("me@example.com", "b4l0u");
      assert.equal(user.email, "me@example.com");
      assert.equal("hashedPassword" in user, false);
      const record = await service.db.findUserBy({ id: user.id });
      assert.match(record.hashedPassword ?? "", /^\$2b\$04\$.{53}$/);
      assert.notEqual(record.hashedPassword, "b4l0u");
    });

    test("registerUser refuses a taken email, a bad email and a bad password", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      await assert.rejects(auth.registerUser("ME@example.com", "other"), UserAlreadyExistsError);
      await assert.rejects(auth.registerUser("me@example.com", "other"), {
        message: "User me@example.com already exists",
      });
      await assert.rejects(auth.registerUser("nope", "b4l0u"), InvalidEmailError);
      await assert.rejects(auth.registerUser("x@example.com", "abc"), InvalidPasswordError);
    });

    test("a NUL or a lone surrogate in an email matches nobody (no database error)", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      for (const email of [
        "me\u0000@example.com",
        "me\ud800@example.com",
        "me@example.com\u0000",
      ]) {
        assert.equal(await auth.validLogin(email, "b4l0u"), false, JSON.stringify(email));
        assert.equal(await auth.login(email, "b4l0u"), null);
        await assert.rejects(auth.getResetPasswordToken(email), UnknownEmailError);
      }
    });

    test("validLogin: right password only; unknown email costs a verification too", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      const verified: (string | null)[] = [];
      const verify = auth.hasher.verify.bind(auth.hasher);
      auth.hasher.verify = async (password, hash) => {
        verified.push(hash);
        return verify(password, hash);
      };
      assert.equal(await auth.validLogin("me@example.com", "b4l0u"), true);
      assert.equal(await auth.validLogin("ME@EXAMPLE.COM", "b4l0u"), true);
      assert.equal(await auth.validLogin("me@example.com", "wrong"), false);
      assert.equal(await auth.validLogin("ghost@example.com", "b4l0u"), false);
      assert.equal(verified.length, 4, "every attempt verified one hash");
      assert.equal(verified[3], await auth.hasher.dummyHash());
    });

    test("createSession: a fresh 256-bit token each time, null for an unknown email", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      const first = await auth.createSession("me@example.com");
      const second = await auth.createSession("me@example.com");
      assert.match(first ?? "", /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(first, second);
      assert.equal(await auth.createSession("ghost@example.com"), null);
      assert.equal((await auth.getUserFromSessionId(first))?.email, "me@example.com");
      assert.equal((await auth.getUserFromSessionId(second))?.email, "me@example.com");
    });

    test("getUserFromSessionId: null for nothing, garbage, or an unknown token", async () => {
      for (const token of [null, undefined, "", "x".repeat(10_000), "unknown"]) {
        assert.equal(await auth.getUserFromSessionId(token), null);
      }
    });

    test("a session ends after its idle timeout", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      const token = await auth.createSession("me@example.com");
      clock.advance(auth.settings.sessionIdleTimeout - MINUTE);
      assert.ok(await auth.getUserFromSessionId(token), "still inside the idle window");
      clock.advance(auth.settings.sessionIdleTimeout - MINUTE);
      assert.ok(await auth.getUserFromSessionId(token), "activity slid the window");
      clock.advance(auth.settings.sessionIdleTimeout);
      assert.equal(await auth.getUserFromSessionId(token), null);
      assert.equal(
        await service.store.findSessionByTokenHash(hashToken(token ?? "")),
        null,
        "the row is gone",
      );
    });

    test("a session ends at its absolute lifetime, however active", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      const token = await auth.createSession("me@example.com");
      const steps = Math.ceil(auth.settings.sessionAbsoluteLifetime / DAY);
      for (let day = 1; day < steps; day++) {
        clock.advance(DAY);
        assert.ok(await auth.getUserFromSessionId(token), `day ${day}`);
      }
      clock.advance(DAY);
      assert.equal(await auth.getUserFromSessionId(token), null);
    });

    test("reads renew the last-seen time at most once per renewal interval", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      const token = (await auth.createSession("me@example.com")) ?? "";
      const lastSeen = async () =>
        (
          await service.store.findSessionByTokenHash(hashToken(token))
        )?.session.lastSeenAt.getTime();
      const created = await lastSeen();
      clock.advance(auth.settings.sessionRenewInterval - 1000);
      await auth.getUserFromSessionId(token);
      assert.equal(await lastSeen(), created, "no write inside the interval");
      clock.advance(2000);
      await auth.getUserFromSessionId(token);
      assert.equal(await lastSeen(), clock.now().getTime(), "written once the interval passed");
    });

    test("destroySession ends every session of the user; revokeSession only one", async () => {
      const user = await auth.registerUser("me@example.com", "b4l0u");
      const tokens = [
        await auth.createSession("me@example.com"),
        await auth.createSession("me@example.com"),
      ];
      const third = await auth.createSession("me@example.com");
      assert.equal(await auth.revokeSession(third), true);
      assert.equal(await auth.revokeSession(third), false);
      assert.ok(await auth.getUserFromSessionId(tokens[0]));
      await auth.destroySession(user.id);
      for (const token of tokens) assert.equal(await auth.getUserFromSessionId(token), null);
    });

    test("reset: unknown email throws; a token works once and ends every session", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      await assert.rejects(auth.getResetPasswordToken("ghost@example.com"), UnknownEmailError);
      const session = await auth.createSession("me@example.com");
      const token = await auth.getResetPasswordToken("me@example.com");
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      await auth.updatePassword(token, "t4rt1fl3tt3");
      assert.equal(await auth.validLogin("me@example.com", "t4rt1fl3tt3"), true);
      assert.equal(await auth.validLogin("me@example.com", "b4l0u"), false);
      assert.equal(await auth.getUserFromSessionId(session), null);
      await assert.rejects(auth.updatePassword(token, "another-one"), InvalidResetTokenError);
    });

    test("reset: a newer token leaves the older one valid; using one voids both", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      const older = await auth.getResetPasswordToken("me@example.com");
      const newer = await auth.getResetPasswordToken("me@example.com");
      await auth.updatePassword(older, "new-pass");
      await assert.rejects(auth.updatePassword(newer, "newer-pass"), InvalidResetTokenError);
      assert.equal(await auth.validLogin("me@example.com", "new-pass"), true);
    });

    test("reset: a token expires after its lifetime (30 minutes by default)", async () => {
      assert.equal(auth.settings.resetTokenLifetime, 30 * MINUTE);
      await auth.registerUser("me@example.com", "b4l0u");
      const fresh = await auth.getResetPasswordToken("me@example.com");
      clock.advance(30 * MINUTE);
      await assert.rejects(auth.updatePassword(fresh, "new-pass"), InvalidResetTokenError);
      assert.equal(await auth.validLogin("me@example.com", "b4l0u"), true);
      const next = await auth.getResetPasswordToken("me@example.com");
      clock.advance(29 * MINUTE);
      await auth.updatePassword(next, "new-pass");
    });

    test("reset: bound to its email; a bad password leaves the token usable", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      await auth.registerUser("other@example.com", "b4l0u");
      const token = await auth.getResetPasswordToken("me@example.com");
      await assert.rejects(auth.updatePassword(token, "new-pass", { email: "other@example.com" }), {
        code: "reset_token_email_mismatch",
      });
      await assert.rejects(
        auth.updatePassword(token, "new-pass", { email: "ghost@example.com" }),
        InvalidResetTokenError,
      );
      await assert.rejects(
        auth.updatePassword(token, "abc", { email: "me@example.com" }),
        InvalidPasswordError,
      );
      await auth.updatePassword(token, "new-pass", { email: "ME@example.com" });
      assert.equal(await auth.validLogin("other@example.com", "b4l0u"), true);
    });

    test("login rehashes a hash made with other settings", async () => {
      await auth.registerUser("me@example.com", "b4l0u");
      const argon = new Auth({
        store: service.store,
        stores: service.stores,
        settings: resolveAuthSettings({
          passwordHash: "argon2id",
          argon2MemoryCost: 1024,
          argon2TimeCost: 1,
        }),
      });
      assert.ok(await argon.login("me@example.com", "b4l0u"));
      const record = await service.db.findUserBy({ email: "me@example.com" });
      assert.match(record.hashedPassword ?? "", /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      assert.equal(await argon.validLogin("me@example.com", "b4l0u"), true);
      assert.equal(
        await auth.validLogin("me@example.com", "b4l0u"),
        true,
        "bcrypt-configured Auth still verifies it",
      );
    });
  });
}

test("sqlite::memory: works for library use", async () => {
  const service = await createAuth({ databaseUrl: "sqlite::memory:", bcryptCost: 4 });
  try {
    await service.auth.registerUser("mem@example.com", "b4l0u");
    assert.equal(await service.auth.validLogin("mem@example.com", "b4l0u"), true);
  } finally {
    await service.close();
  }
});

test("SQLite file holds token hashes, never the tokens", async () => {
  const { dir, remove } = tempDir();
  const service = await createAuth({
    databaseUrl: `sqlite:${join(dir, "auth.db")}`,
    bcryptCost: 4,
  });
  try {
    await service.auth.registerUser("me@example.com", "b4l0u");
    const session = (await service.auth.createSession("me@example.com")) ?? "";
    const reset = await service.auth.getResetPasswordToken("me@example.com");
    await service.close();
    const bytes = ["auth.db", "auth.db-wal"]
      .map((file) => {
        try {
          return readFileSync(join(dir, file)).toString("latin1");
        } catch {
          return "";
        }
      })
      .join("");
    for (const token of [session, reset]) {
      assert.ok(!bytes.includes(token), "the token is not stored");
      assert.ok(bytes.includes(hashToken(token)), "its SHA-256 is");
    }
    assert.ok(!bytes.includes("b4l0u"));
  } finally {
    remove();
  }
});
