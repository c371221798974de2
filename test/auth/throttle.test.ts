import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { resolveAuthSettings } from "../../src/core/settings.js";
import { LoginThrottledError, lockEnd } from "../../src/core/throttle.js";
import { type AuthService, createAuth } from "../../src/main/create-auth.js";
import { manualClock } from "../helpers/clock.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

test("locks: none below the threshold, then 1 s doubling up to 15 min", () => {
  const policy = resolveAuthSettings();
  const now = new Date(0);
  const at = (failures: number, threshold = policy.loginMaxFailures) =>
    lockEnd(failures, threshold, now, policy)?.getTime() ?? null;
  assert.equal(at(9), null);
  assert.equal(at(10), SECOND);
  assert.equal(at(11), 2 * SECOND);
  assert.equal(at(14), 16 * SECOND);
  assert.equal(at(30), 15 * MINUTE);
  assert.equal(at(500), 15 * MINUTE);
  assert.equal(at(99, policy.loginAccountMaxFailures), null);
  assert.equal(at(100, policy.loginAccountMaxFailures), SECOND);
  assert.equal(at(50, 0), null, "0 turns it off");
});

describe("login throttling in Auth", () => {
  let service: AuthService;
  let clock: ReturnType<typeof manualClock>;
  const client = { ip: "203.0.113.7" };

  beforeEach(async () => {
    clock = manualClock();
    service = await createAuth({
      databaseUrl: "sqlite::memory:",
      bcryptCost: 4,
      loginIpMaxFailures: 25,
      now: clock.now,
    });
    await service.auth.registerUser("me@example.com", "right-pass");
  });
  afterEach(async () => {
    await service.close();
  });

  async function fail(email = "me@example.com", ip = client.ip): Promise<void> {
    assert.equal(await service.auth.login(email, "wrong-pass", { ip }), null);
  }

  test("10 failures lock the account, even for the right password, with exponential backoff", async () => {
    const { auth } = service;
    for (let i = 0; i < 10; i++) await fail();
    await assert.rejects(auth.login("me@example.com", "right-pass", client), (error: unknown) => {
      assert.ok(error instanceof LoginThrottledError);
      assert.equal(error.retryAfterMs, SECOND);
      return true;
    });
    clock.advance(SECOND);
    await fail(); // the 11th failure: 2 s
    await assert.rejects(auth.login("me@example.com", "right-pass", client), {
      retryAfterMs: 2 * SECOND,
    });
    clock.advance(2 * SECOND);
    assert.ok(await auth.login("me@example.com", "right-pass", client), "a success after the lock");
    for (let i = 0; i < 9; i++) await fail();
    assert.ok(
      await auth.login("me@example.com", "right-pass", client),
      "the success reset the count",
    );
  });

  test("an unknown email locks the same way (no hint that it is unregistered)", async () => {
    for (let i = 0; i < 10; i++) await fail("ghost@example.com");
    await assert.rejects(service.auth.login("ghost@example.com", "x", client), LoginThrottledError);
  });

  test("one address failing over many accounts is locked until its window closes", async () => {
    for (let i = 0; i < 25; i++) await fail(`user${i}@example.com`);
    await assert.rejects(
      service.auth.login("me@example.com", "right-pass", client),
      (error: unknown) => {
        assert.ok(error instanceof LoginThrottledError);
        assert.equal(error.retryAfterMs, 15 * MINUTE);
        return true;
      },
    );
    assert.ok(
      await service.auth.login("me@example.com", "right-pass", { ip: "198.51.100.1" }),
      "other addresses log in",
    );
    clock.advance(15 * MINUTE);
    assert.ok(await service.auth.login("me@example.com", "right-pass", client));
  });

  test("a locked account can still reset its password, and the reset lifts the lock", async () => {
    const { auth } = service;
    for (let i = 0; i < 12; i++) {
      if (i > 0) clock.advance(10 * SECOND); // outlast each lock, so every guess is counted
      await fail();
    }
    await assert.rejects(auth.login("me@example.com", "right-pass", client), LoginThrottledError);
    const token = await auth.getResetPasswordToken("me@example.com");
    await auth.updatePassword(token, "brand-new-pass", { email: "me@example.com", client });
    assert.ok(await auth.login("me@example.com", "brand-new-pass", client));
  });

  test("failures from other addresses never lock the owner out of their account", async () => {
    // Ten wrong passwords from each of five addresses: each is locked out of the account.
    for (let address = 1; address <= 5; address++) {
      for (let i = 0; i < 10; i++) await fail("me@example.com", `198.51.100.${address}`);
    }
    await assert.rejects(
      service.auth.login("me@example.com", "right-pass", { ip: "198.51.100.1" }),
      LoginThrottledError,
    );
    assert.ok(
      await service.auth.login("me@example.com", "right-pass", client),
      "the owner, from their own address, logs in",
    );
  });

  test("a guesser spread over many addresses meets the account-wide limit; a reset lifts it", async () => {
    const { auth } = service;
    for (let address = 0; address < 100; address++) {
      await fail("me@example.com", `192.0.2.${address}`);
    }
    await assert.rejects(auth.login("me@example.com", "right-pass", client), LoginThrottledError);
    const token = await auth.getResetPasswordToken("me@example.com");
    await auth.updatePassword(token, "brand-new-pass", { email: "me@example.com", client });
    assert.ok(await auth.login("me@example.com", "brand-new-pass", client));
  });

  test("validLogin, the library primitive, is not throttled", async () => {
    for (let i = 0; i < 10; i++) await fail();
    assert.equal(await service.auth.validLogin("me@example.com", "right-pass"), true);
  });
});
