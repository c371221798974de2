import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, test } from "node:test";
import { CHALLENGE_LIFETIME_MS } from "../../../src/capabilities/passkeys/ceremonies.js";
import { RECENT_SIGN_IN_MS } from "../../../src/capabilities/passkeys/passkeys.js";
import { PasskeyError, SecondFactorRequiredError } from "../../../src/core/errors.js";
import type { SignedIn } from "../../../src/core/reauthentication.js";
import { type AuthService, createAuth } from "../../../src/main/create-auth.js";
import { manualClock } from "../../helpers/clock.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { SoftwareAuthenticator } from "../../helpers/software-authenticator.js";

const ORIGIN = "http://localhost:5123";
const PASSWORD = "b4l0u-passkey";
const client = { ip: "203.0.113.7", userAgent: "test" };

/** Refused as a PasskeyError with this code. */
function refusedWith(code: string) {
  return (error: unknown) => error instanceof PasskeyError && error.code === code;
}

for (const factory of await testDatabases()) {
  describe(`passkey ceremonies on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let service: AuthService;
    let clock: ReturnType<typeof manualClock>;
    let authenticator: SoftwareAuthenticator;
    const drops: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      drops.push(database.drop);
      clock = manualClock(Date.now());
      service = await createAuth({
        databaseUrl: database.url,
        bcryptCost: 4,
        now: clock.now,
        webauthn: { rpId: "localhost", origins: [ORIGIN] },
      });
      authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    });
    afterEach(async () => {
      await service?.close();
    });
    after(async () => {
      for (const drop of drops) await drop();
    });

    /** A user signed in by password just now. */
    async function signedInUser(email = "pk@example.com"): Promise<SignedIn> {
      await service.auth.registerUser(email, PASSWORD);
      const login = await service.auth.login(email, PASSWORD, client);
      assert.ok(login);
      const current = await service.auth.signedIn(login.sessionToken);
      assert.ok(current);
      return current;
    }

    async function addPasskey(current: SignedIn): Promise<string> {
      const options = await service.passkeys.creationOptions(current, {}, client);
      assert.equal(options.outcome, "done");
      if (options.outcome !== "done") throw new Error("unreachable");
      const added = await service.passkeys.register(
        current,
        authenticator.register(options.value),
        "Laptop",
        client,
      );
      return added.id;
    }

    /** What a refused answer must leave as it was: the passkeys and the sessions. */
    async function snapshot(userId: number) {
      return {
        passkeys: await service.passkeys.list(userId),
        sessions: (await service.store.listSessionsOfUser(userId, clock.now())).length,
      };
    }

    test("add a passkey, then sign in with it and no password", { timeout: 120_000 }, async () => {
      const current = await signedInUser();
      const options = await service.passkeys.creationOptions(current, {}, client);
      assert.equal(options.outcome, "done");
      if (options.outcome !== "done") return;
      assert.equal(options.value.rp.id, "localhost");
      assert.equal(options.value.authenticatorSelection?.residentKey, "required");
      assert.equal(options.value.authenticatorSelection?.userVerification, "preferred");
      const added = await service.passkeys.register(
        current,
        authenticator.register(options.value),
        "Laptop",
        client,
      );
      assert.equal(added.name, "Laptop");
      assert.equal(await service.passkeys.count(current.user.id), 1);
      // The next options exclude it.
      const again = await service.passkeys.creationOptions(current, {}, client);
      assert.ok(again.outcome === "done");
      assert.deepEqual(
        again.value.excludeCredentials?.map((credential) => credential.id),
        authenticator.credentialIds,
      );

      const request = await service.passkeys.requestOptions();
      assert.deepEqual(request.allowCredentials, [], "usernameless: no allowCredentials");
      const login = await service.passkeys.signIn(authenticator.assert(request), client);
      assert.equal(login.user.email, "pk@example.com");
      assert.equal(
        (await service.auth.getUserFromSessionId(login.sessionToken))?.id,
        current.user.id,
      );
      const [listed] = await service.passkeys.list(current.user.id);
      assert.ok(listed?.lastUsedAt, "its use is recorded");
      await service.audit.flush();
      const events = (await service.audit.list({ email: "pk@example.com" })).map(
        (entry) => `${entry.event}:${entry.outcome}`,
      );
      assert.ok(events.includes("passkey_added:success"), events.join());
      assert.ok(events.includes("passkey_used:sign_in"), events.join());
    });

    test("registration answers from the wrong origin or for the wrong RP ID are refused, nothing written", {
      timeout: 120_000,
    }, async () => {
      const current = await signedInUser();
      for (const bend of [{ origin: "https://evil.example" }, { rpId: "evil.example" }]) {
        const options = await service.passkeys.creationOptions(current, {}, client);
        assert.ok(options.outcome === "done");
        await assert.rejects(
          service.passkeys.register(
            current,
            authenticator.register(options.value, bend),
            "x",
            client,
          ),
          refusedWith("invalid_passkey"),
          JSON.stringify(bend),
        );
      }
      assert.equal(await service.passkeys.count(current.user.id), 0);
    });

    test("sign-in answers with the wrong origin, the wrong RP ID, a replayed or an expired challenge, or a counter going back are refused, nothing written", {
      timeout: 120_000,
    }, async () => {
      const current = await signedInUser();
      await addPasskey(current);
      const before = await snapshot(current.user.id);
      const fresh = async () => service.passkeys.requestOptions();

      const cases: Array<[string, () => Promise<unknown>]> = [
        [
          "wrong origin",
          async () => authenticator.assert(await fresh(), { origin: "http://localhost:9" }),
        ],
        ["wrong RP ID", async () => authenticator.assert(await fresh(), { rpId: "example.com" })],
        [
          "expired challenge",
          async () => {
            const options = await fresh();
            clock.advance(CHALLENGE_LIFETIME_MS + 1000);
            return authenticator.assert(options);
          },
        ],
        [
          "a challenge never issued",
          async () =>
            authenticator.assert(await fresh(), {
              challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            }),
        ],
      ];
      for (const [name, answer] of cases) {
        await assert.rejects(
          service.passkeys.signIn(await answer(), client),
          refusedWith("invalid_passkey"),
          name,
        );
        assert.deepEqual(await snapshot(current.user.id), before, name);
      }

      // A good answer works once: replayed, its challenge is gone.
      const good = authenticator.assert(await fresh());
      await service.passkeys.signIn(good, client);
      const afterGood = await snapshot(current.user.id);
      assert.equal(afterGood.sessions, before.sessions + 1);
      await assert.rejects(service.passkeys.signIn(good, client), refusedWith("invalid_passkey"));
      assert.deepEqual(await snapshot(current.user.id), afterGood, "replay");

      // A counter that goes back (a copied authenticator) is refused and audited.
      const [credentialId] = authenticator.credentialIds;
      const stale = authenticator.counterOf(credentialId ?? "") - 1;
      await assert.rejects(
        service.passkeys.signIn(authenticator.assert(await fresh(), { counter: stale }), client),
        refusedWith("invalid_passkey"),
      );
      assert.deepEqual(await snapshot(current.user.id), afterGood, "counter regression");
      await service.audit.flush();
      const refusals = (await service.audit.list({ email: "pk@example.com" }))
        .filter((entry) => entry.event === "passkey_refused")
        .map((entry) => entry.outcome);
      assert.ok(refusals.includes("counter_regression"), refusals.join());
    });

    test("without user verification a passkey opens no session; after the password it is the second factor", {
      timeout: 120_000,
    }, async () => {
      const current = await signedInUser();
      await addPasskey(current);
      const before = await snapshot(current.user.id);
      const request = await service.passkeys.requestOptions();
      await assert.rejects(
        service.passkeys.signIn(authenticator.assert(request, { userVerified: false }), client),
        refusedWith("user_verification_required"),
      );
      assert.deepEqual(await snapshot(current.user.id), before);

      // A passkey is a second factor: the password alone asks for it now.
      let mfaToken = "";
      await assert.rejects(service.auth.login("pk@example.com", PASSWORD, client), (error) => {
        if (!(error instanceof SecondFactorRequiredError)) return false;
        mfaToken = error.mfaToken;
        return true;
      });
      const step = await service.passkeys.requestOptions();
      const login = await service.auth.completeLogin(
        mfaToken,
        authenticator.assert(step, { userVerified: false }),
        client,
      );
      assert.equal(login.user.id, current.user.id);
    });

    test("a sign-in's challenge is used once whatever follows: an answer refused after it verified serves no second step, and of the same answer sent twice at once one signs in", {
      timeout: 120_000,
    }, async () => {
      const current = await signedInUser();
      await addPasskey(current);
      // Verified, then refused for want of user verification: its challenge is gone with it.
      const unverified = authenticator.assert(await service.passkeys.requestOptions(), {
        userVerified: false,
      });
      await assert.rejects(
        service.passkeys.signIn(unverified, client),
        refusedWith("user_verification_required"),
      );
      let mfaToken = "";
      await assert.rejects(service.auth.login("pk@example.com", PASSWORD, client), (error) => {
        if (!(error instanceof SecondFactorRequiredError)) return false;
        mfaToken = error.mfaToken;
        return true;
      });
      await assert.rejects(service.auth.completeLogin(mfaToken, unverified, client));

      // The same good answer twice at once: one session, one refusal.
      const before = await snapshot(current.user.id);
      const good = authenticator.assert(await service.passkeys.requestOptions());
      const outcomes = await Promise.allSettled([
        service.passkeys.signIn(good, client),
        service.passkeys.signIn(good, client),
      ]);
      assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ["fulfilled", "rejected"]);
      assert.equal((await snapshot(current.user.id)).sessions, before.sessions + 1);
      await assert.rejects(service.passkeys.signIn(good, client), refusedWith("invalid_passkey"));
    });

    test("removing a passkey takes the password, and a current second factor once the sign-in is not recent", {
      timeout: 120_000,
    }, async () => {
      const current = await signedInUser();
      const id = await addPasskey(current);
      clock.advance(RECENT_SIGN_IN_MS + 1000);
      const wrong = await service.passkeys.remove(current, id, { password: "nope-nope" }, client);
      assert.equal(wrong.outcome, "wrong_password");
      const noFactor = await service.passkeys.remove(current, id, { password: PASSWORD }, client);
      assert.equal(noFactor.outcome, "code_required");
      assert.equal(await service.passkeys.count(current.user.id), 1);
      // The passkey itself is the factor, asked for with options bound to the user.
      const options = await service.passkeys.requestOptions(current);
      assert.deepEqual(
        options.allowCredentials?.map((credential) => credential.id),
        authenticator.credentialIds,
      );
      const removed = await service.passkeys.remove(
        current,
        id,
        { password: PASSWORD, code: JSON.stringify(authenticator.assert(options)) },
        client,
      );
      assert.deepEqual(removed, { outcome: "done", value: { secondFactorLeft: false } });
      assert.equal(await service.passkeys.count(current.user.id), 0);
    });

    test("an old session adds a passkey only with the password", { timeout: 120_000 }, async () => {
      const current = await signedInUser();
      clock.advance(RECENT_SIGN_IN_MS + 1000);
      await assert.rejects(
        service.passkeys.creationOptions(current, {}, client),
        refusedWith("reauthentication_required"),
      );
      const wrong = await service.passkeys.creationOptions(
        current,
        { password: "nope-nope" },
        client,
      );
      assert.equal(wrong.outcome, "wrong_password");
      const right = await service.passkeys.creationOptions(current, { password: PASSWORD }, client);
      assert.equal(right.outcome, "done");
    });

    test("deleting the user deletes their passkeys", { timeout: 120_000 }, async () => {
      const current = await signedInUser();
      await addPasskey(current);
      assert.equal(await service.auth.deleteUser("pk@example.com"), true);
      assert.equal(await service.passkeys.count(current.user.id), 0);
      const request = await service.passkeys.requestOptions();
      await assert.rejects(
        service.passkeys.signIn(authenticator.assert(request), client),
        refusedWith("invalid_passkey"),
      );
    });
  });
}
