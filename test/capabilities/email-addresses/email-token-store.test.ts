import assert from "node:assert/strict";
import { test } from "node:test";
import {
  KyselyEmailTokenStore,
  LIVE_VERIFY_TOKENS,
} from "../../../src/capabilities/email-addresses/kysely-store.js";
import type {
  EmailTokenPurpose,
  EmailTokenStore,
  NewEmailToken,
} from "../../../src/capabilities/email-addresses/store.js";
import { KyselyResetTokenStore } from "../../../src/capabilities/password-reset/kysely-store.js";
import { UserAlreadyExistsError } from "../../../src/core/errors.js";
import { hashToken } from "../../../src/core/token.js";
import type { UserRecord } from "../../../src/core/user.js";
import {
  AN_INSTANT,
  at,
  HOUR,
  inRolledBack,
  MINUTE,
  onEveryDatabase,
  TIMEOUT,
} from "../../contracts/harness.js";

// EmailTokenStore (src/capabilities/email-addresses/store.ts), implemented
// by KyselyEmailTokenStore: verification and email-change tokens.

const LIFETIME = HOUR;

await onEveryDatabase("EmailTokenStore contract", (t) => {
  const store = (): EmailTokenStore => new KyselyEmailTokenStore(t.db);

  function token(
    user: UserRecord,
    tokenHash: string,
    changes: Partial<NewEmailToken> & { purpose?: EmailTokenPurpose } = {},
  ): NewEmailToken {
    const createdAt = changes.createdAt ?? AN_INSTANT;
    return {
      userId: user.id,
      purpose: "verify",
      email: user.email,
      tokenHash,
      sessionPublicId: null,
      createdAt,
      expiresAt: at(createdAt, LIFETIME),
      ...changes,
    };
  }

  /** A session of the user named `publicId`, last seen at `lastSeenAt`. */
  async function session(user: UserRecord, publicId: string, lastSeenAt = AN_INSTANT) {
    await t.store.insertSession({
      publicId,
      tokenHash: hashToken(publicId),
      userId: user.id,
      createdAt: lastSeenAt,
      expiresAt: at(AN_INSTANT, 30 * 24 * HOUR),
      ip: null,
      userAgent: null,
    });
  }

  const sessionsLeft = async (user: UserRecord) =>
    (await t.store.listSessionsOfUser(user.id, AN_INSTANT)).map((s) => s.publicId).sort();

  test(
    "insertEmailToken returns its id; findEmailToken gives it back as stored",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const id = await store().insertEmailToken(
        token(user, "change-hash", {
          purpose: "change",
          email: "New.Address@Example.com",
          sessionPublicId: "asker",
          expiresAt: at(AN_INSTANT, LIFETIME + 7),
        }),
      );
      assert.equal(typeof id, "number");
      assert.deepEqual(await store().findEmailToken("change-hash"), {
        id,
        userId: user.id,
        purpose: "change",
        email: "New.Address@Example.com",
        emailNormalized: "new.address@example.com",
        sessionPublicId: "asker",
        createdAt: AN_INSTANT,
        expiresAt: at(AN_INSTANT, LIFETIME + 7),
      });
      const verifyId = await store().insertEmailToken(token(user, "verify-hash"));
      assert.notEqual(verifyId, id);
      const verify = await store().findEmailToken("verify-hash");
      assert.equal(verify?.purpose, "verify");
      assert.equal(verify?.sessionPublicId, null);
      assert.equal(await store().findEmailToken("unknown"), null);
    },
  );

  test(
    `a new "verify" token keeps the user's live ones up to ${LIVE_VERIFY_TOKENS}, voiding the oldest beyond and the expired`,
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      await store().insertEmailToken(
        token(user, "expired", { createdAt: at(AN_INSTANT, -2 * LIFETIME) }),
      );
      await store().insertEmailToken(
        token(user, "change", { purpose: "change", email: "x@example.com" }),
      );
      await store().insertEmailToken(
        token(other, "others-expired", { createdAt: at(AN_INSTANT, -2 * LIFETIME) }),
      );
      await store().insertEmailToken(token(user, "live-0"));
      assert.equal(
        await store().findEmailToken("expired"),
        null,
        "expired at the new one's creation",
      );
      assert.ok(await store().findEmailToken("others-expired"), "another user's is not voided");
      for (let i = 1; i < LIVE_VERIFY_TOKENS; i++) {
        await store().insertEmailToken(token(user, `live-${i}`, { createdAt: at(AN_INSTANT, i) }));
      }
      for (let i = 0; i < LIVE_VERIFY_TOKENS; i++) {
        assert.ok(await store().findEmailToken(`live-${i}`), `earlier links keep working (${i})`);
      }
      await store().insertEmailToken(token(user, "newest", { createdAt: at(AN_INSTANT, 100) }));
      assert.equal(await store().findEmailToken("live-0"), null, "the oldest beyond the limit");
      assert.ok(await store().findEmailToken("live-1"));
      assert.ok(await store().findEmailToken("newest"));
      assert.ok(await store().findEmailToken("change"), "a change is another kind");
      assert.ok(await store().findEmailToken("others-expired"), "another user's");
    },
  );

  test(
    `a new "change" token voids every earlier change of the user, and only those`,
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      const change = (owner: UserRecord, hash: string, email: string) =>
        store().insertEmailToken(token(owner, hash, { purpose: "change", email }));
      await change(user, "first", "first@example.com");
      await change(user, "second", "second@example.com");
      await change(other, "others", "others@example.com");
      await store().insertEmailToken(token(user, "verify"));
      await change(user, "third", "third@example.com");
      assert.equal(await store().findEmailToken("first"), null);
      assert.equal(await store().findEmailToken("second"), null);
      assert.equal((await store().findEmailToken("third"))?.email, "third@example.com");
      assert.ok(await store().findEmailToken("others"));
      assert.ok(await store().findEmailToken("verify"));
    },
  );

  test(
    "insertEmailToken in a transaction that rolls back writes nothing and voids nothing",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await store().insertEmailToken(
        token(user, "pending", { purpose: "change", email: "a@example.com" }),
      );
      const id = await inRolledBack(t.store, (tx) =>
        store().insertEmailToken(
          token(user, "never", { purpose: "change", email: "b@example.com" }),
          tx,
        ),
      );
      assert.equal(typeof id, "number");
      assert.equal(await store().findEmailToken("never"), null);
      assert.ok(await store().findEmailToken("pending"), "the earlier change stays");
    },
  );

  test(
    "reissueEmailToken gives the token a new secret and lifetime; null when it is gone",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const id = await store().insertEmailToken(token(user, "first-secret"));
      const now = at(AN_INSTANT, MINUTE + 1);
      const reissued = await store().reissueEmailToken(id, "second-secret", now, at(now, LIFETIME));
      assert.deepEqual(reissued, {
        id,
        userId: user.id,
        purpose: "verify",
        email: user.email,
        emailNormalized: user.email,
        sessionPublicId: null,
        createdAt: now,
        expiresAt: at(now, LIFETIME),
      });
      assert.equal(await store().findEmailToken("first-secret"), null, "the old secret is void");
      assert.deepEqual(await store().findEmailToken("second-secret"), reissued);
      assert.equal(await store().reissueEmailToken(987_654, "x", now, at(now, LIFETIME)), null);
    },
  );

  test(
    "latestEmailToken: when the newest live token of that kind, user and address was made",
    TIMEOUT,
    async () => {
      const user = await t.user("latest@example.com");
      const other = await t.user();
      const now = at(AN_INSTANT, 10 * MINUTE);
      const latest = () => store().latestEmailToken(user.id, "verify", "latest@example.com", now);
      assert.equal(await latest(), null);
      await store().insertEmailToken(token(user, "old", { createdAt: at(AN_INSTANT, 1) }));
      await store().insertEmailToken(
        token(user, "new", { createdAt: at(AN_INSTANT, 5 * MINUTE + 3) }),
      );
      await store().insertEmailToken(
        token(user, "other-address", {
          email: "elsewhere@example.com",
          createdAt: at(AN_INSTANT, 9 * MINUTE),
        }),
      );
      await store().insertEmailToken(
        token(other, "other-user", { createdAt: at(AN_INSTANT, 9 * MINUTE) }),
      );
      assert.equal((await latest())?.getTime(), at(AN_INSTANT, 5 * MINUTE + 3).getTime());
      assert.equal(
        await store().latestEmailToken(user.id, "change", "latest@example.com", now),
        null,
      );
      // Once the newest has expired (at its expiry), none lives.
      assert.equal(
        await store().latestEmailToken(
          user.id,
          "verify",
          "latest@example.com",
          at(AN_INSTANT, 5 * MINUTE + 3 + LIFETIME),
        ),
        null,
      );
    },
  );

  test(
    "consumeVerification marks the address verified, consumes the token and voids the user's other links",
    TIMEOUT,
    async () => {
      const user = await t.user("Verify.Me@Example.com");
      const other = await t.user();
      await store().insertEmailToken(token(user, "link-1"));
      await store().insertEmailToken(token(user, "link-2", { createdAt: at(AN_INSTANT, 1) }));
      await store().insertEmailToken(
        token(user, "change", { purpose: "change", email: "c@example.com" }),
      );
      await store().insertEmailToken(token(other, "others"));
      const now = at(AN_INSTANT, MINUTE);
      assert.deepEqual(await store().consumeVerification("link-1", now), {
        userId: user.id,
        email: "Verify.Me@Example.com",
      });
      assert.equal(
        (await t.store.findUser({ id: user.id }))?.emailVerifiedAt?.getTime(),
        now.getTime(),
      );
      assert.equal(await store().findEmailToken("link-1"), null);
      assert.equal(await store().findEmailToken("link-2"), null, "the other links go");
      assert.ok(await store().findEmailToken("change"), "a pending change stays");
      assert.ok(await store().findEmailToken("others"));
      assert.equal((await t.store.findUser({ id: other.id }))?.emailVerifiedAt, null);
      assert.equal(await store().consumeVerification("link-1", now), null, "once");
    },
  );

  test(
    "consumeVerification: null, nothing written, for an unknown, expired or change token",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await store().insertEmailToken(token(user, "link"));
      await store().insertEmailToken(
        token(user, "change", { purpose: "change", email: "c@example.com" }),
      );
      assert.equal(await store().consumeVerification("unknown", AN_INSTANT), null);
      assert.equal(
        await store().consumeVerification("link", at(AN_INSTANT, LIFETIME)),
        null,
        "at its expiry",
      );
      assert.equal(await store().consumeVerification("change", AN_INSTANT), null);
      assert.ok(await store().findEmailToken("link"));
      assert.ok(await store().findEmailToken("change"));
      assert.equal((await t.store.findUser({ id: user.id }))?.emailVerifiedAt, null);
    },
  );

  test(
    "consumeVerification after the address changed: null, the token consumed, nothing verified",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await store().insertEmailToken(token(user, "old-address-link"));
      await store().insertEmailToken(token(user, "another-link"));
      await t.store.updateUser(user.id, { email: "changed@example.com" }, AN_INSTANT);
      assert.equal(await store().consumeVerification("old-address-link", AN_INSTANT), null);
      assert.equal(await store().findEmailToken("old-address-link"), null, "consumed");
      assert.ok(await store().findEmailToken("another-link"));
      assert.equal((await t.store.findUser({ id: user.id }))?.emailVerifiedAt, null);
    },
  );

  test("consumeVerification in a transaction that rolls back writes nothing", TIMEOUT, async () => {
    const user = await t.user();
    await store().insertEmailToken(token(user, "link"));
    await store().insertEmailToken(token(user, "other-link"));
    const result = await inRolledBack(t.store, (tx) =>
      store().consumeVerification("link", AN_INSTANT, tx),
    );
    assert.equal(result?.userId, user.id);
    assert.ok(await store().findEmailToken("link"));
    assert.ok(await store().findEmailToken("other-link"));
    assert.equal((await t.store.findUser({ id: user.id }))?.emailVerifiedAt, null);
  });

  test(
    "consumeVerification: of concurrent uses of one link, from two instances, one wins",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await store().insertEmailToken(token(user, "link"));
      const stores = [store(), new KyselyEmailTokenStore(t.connection())];
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => stores[i % 2]?.consumeVerification("link", AN_INSTANT)),
      );
      assert.equal(results.filter((result) => result !== null).length, 1);
    },
  );

  test(
    "consumeEmailChange moves the user to the new address, verified, ends the other sessions, voids tokens and waiting logins",
    TIMEOUT,
    async () => {
      const user = await t.user("old@example.com");
      const other = await t.user();
      const resets = new KyselyResetTokenStore(t.db);
      for (const owner of [user, other]) {
        const name = owner === user ? "mine" : "theirs";
        await session(owner, `asker-${name}`);
        await session(owner, `other-${name}`);
        await resets.addResetToken(owner.id, `reset-${name}`, AN_INSTANT, at(AN_INSTANT, HOUR), 10);
        await store().insertEmailToken(token(owner, `verify-${name}`));
        await t.store.mfaChallenges.insertMfaChallenge({
          tokenHash: `waiting-${name}`,
          userId: owner.id,
          createdAt: AN_INSTANT,
          expiresAt: at(AN_INSTANT, 5 * MINUTE),
          firstStep: null,
        });
      }
      await store().insertEmailToken(
        token(user, "change", {
          purpose: "change",
          email: "New@Example.com",
          sessionPublicId: "asker-mine",
        }),
      );
      const now = at(AN_INSTANT, MINUTE);
      assert.deepEqual(await store().consumeEmailChange("change", now, at(AN_INSTANT, -1)), {
        userId: user.id,
        oldEmail: "old@example.com",
        newEmail: "New@Example.com",
      });
      const changed = await t.store.findUser({ id: user.id });
      assert.equal(changed?.email, "New@Example.com");
      assert.equal(changed?.emailVerifiedAt?.getTime(), now.getTime());
      assert.equal(changed?.updatedAt.getTime(), now.getTime());
      assert.equal((await t.store.findUser({ email: "new@example.com" }))?.id, user.id);
      assert.deepEqual(await sessionsLeft(user), ["asker-mine"]);
      assert.equal(await resets.findResetToken("reset-mine"), null);
      assert.equal(await store().findEmailToken("verify-mine"), null);
      assert.equal(await store().findEmailToken("change"), null);
      assert.equal(
        await t.store.mfaChallenges.reserveMfaAttempt("waiting-mine", AN_INSTANT, 5),
        null,
      );
      // The other user keeps everything.
      assert.deepEqual(await sessionsLeft(other), ["asker-theirs", "other-theirs"]);
      assert.ok(await resets.findResetToken("reset-theirs"));
      assert.ok(await store().findEmailToken("verify-theirs"));
      assert.ok(await t.store.mfaChallenges.reserveMfaAttempt("waiting-theirs", AN_INSTANT, 5));
      assert.equal(
        await store().consumeEmailChange("change", now, at(AN_INSTANT, -1)),
        null,
        "once",
      );
    },
  );

  test(
    "consumeEmailChange of a change asked by no session ends every session",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await session(user, "one");
      await session(user, "two");
      await store().insertEmailToken(
        token(user, "change", { purpose: "change", email: "n@example.com" }),
      );
      assert.ok(await store().consumeEmailChange("change", AN_INSTANT, at(AN_INSTANT, -HOUR)));
      assert.deepEqual(await sessionsLeft(user), []);
    },
  );

  test(
    "consumeEmailChange: null, nothing written, for an unknown, expired or verify token",
    TIMEOUT,
    async () => {
      const user = await t.user("stays@example.com");
      await session(user, "asker");
      await store().insertEmailToken(token(user, "verify"));
      await store().insertEmailToken(
        token(user, "change", {
          purpose: "change",
          email: "n@example.com",
          sessionPublicId: "asker",
        }),
      );
      const cutoff = at(AN_INSTANT, -1);
      assert.equal(await store().consumeEmailChange("unknown", AN_INSTANT, cutoff), null);
      assert.equal(
        await store().consumeEmailChange("change", at(AN_INSTANT, LIFETIME), cutoff),
        null,
      );
      assert.equal(await store().consumeEmailChange("verify", AN_INSTANT, cutoff), null);
      assert.deepEqual(await t.store.findUser({ id: user.id }), user);
      assert.ok(await store().findEmailToken("verify"));
      assert.ok(await store().findEmailToken("change"));
      assert.deepEqual(await sessionsLeft(user), ["asker"]);
    },
  );

  test(
    "consumeEmailChange while the asking session has ended, idled out or expired: null, the token deleted",
    TIMEOUT,
    async () => {
      const user = await t.user("stays@example.com");
      const change = (hash: string, asker: string) =>
        store().insertEmailToken(
          token(user, hash, {
            purpose: "change",
            email: `${hash}@example.com`,
            sessionPublicId: asker,
          }),
        );
      // Ended: no such session.
      await change("ended", "logged-out");
      assert.equal(
        await store().consumeEmailChange("ended", AN_INSTANT, at(AN_INSTANT, -HOUR)),
        null,
      );
      assert.equal(await store().findEmailToken("ended"), null, "deleted with its session");
      // Idle: last seen at the cutoff, not after it.
      await session(user, "idle", at(AN_INSTANT, -HOUR));
      await change("idle", "idle");
      assert.equal(
        await store().consumeEmailChange("idle", AN_INSTANT, at(AN_INSTANT, -HOUR)),
        null,
      );
      assert.equal(await store().findEmailToken("idle"), null);
      // Past its absolute end.
      await t.store.insertSession({
        publicId: "expired",
        tokenHash: hashToken("expired"),
        userId: user.id,
        createdAt: at(AN_INSTANT, -HOUR),
        expiresAt: AN_INSTANT,
        ip: null,
        userAgent: null,
      });
      await change("expired", "expired");
      assert.equal(
        await store().consumeEmailChange("expired", AN_INSTANT, at(AN_INSTANT, -2 * HOUR)),
        null,
      );
      assert.equal(await store().findEmailToken("expired"), null);
      // Another user's session of that public id does not count.
      const other = await t.user();
      await session(other, "borrowed");
      await change("borrowed", "borrowed");
      assert.equal(
        await store().consumeEmailChange("borrowed", AN_INSTANT, at(AN_INSTANT, -HOUR)),
        null,
      );
      const after = await t.store.findUser({ id: user.id });
      assert.equal(after?.email, "stays@example.com");
      assert.equal(after?.emailVerifiedAt, null);
      assert.equal(
        (await t.store.listSessionsOfUser(user.id, at(AN_INSTANT, -HOUR))).length,
        2,
        "sessions untouched",
      );
    },
  );

  test(
    "consumeEmailChange to an address another account has by now: UserAlreadyExistsError, nothing written, the token stays",
    TIMEOUT,
    async () => {
      const user = await t.user("mine@example.com");
      await session(user, "asker");
      await session(user, "other");
      await store().insertEmailToken(
        token(user, "change", {
          purpose: "change",
          email: "Wanted@example.com",
          sessionPublicId: "asker",
        }),
      );
      await t.user("wanted@example.com");
      await assert.rejects(
        store().consumeEmailChange("change", AN_INSTANT, at(AN_INSTANT, -1)),
        UserAlreadyExistsError,
      );
      assert.deepEqual(await t.store.findUser({ id: user.id }), user);
      assert.ok(await store().findEmailToken("change"), "the token stays");
      assert.deepEqual(await sessionsLeft(user), ["asker", "other"]);
      // In the caller's transaction: it throws there too, and that transaction rolls back.
      await assert.rejects(
        t.store.transaction((tx) =>
          store().consumeEmailChange("change", AN_INSTANT, at(AN_INSTANT, -1), tx),
        ),
        UserAlreadyExistsError,
      );
      assert.deepEqual(await t.store.findUser({ id: user.id }), user);
      assert.ok(await store().findEmailToken("change"));
    },
  );

  test("consumeEmailChange in a transaction that rolls back writes nothing", TIMEOUT, async () => {
    const user = await t.user("before@example.com");
    await session(user, "asker");
    await session(user, "other");
    await store().insertEmailToken(
      token(user, "change", {
        purpose: "change",
        email: "after@example.com",
        sessionPublicId: "asker",
      }),
    );
    const result = await inRolledBack(t.store, (tx) =>
      store().consumeEmailChange("change", AN_INSTANT, at(AN_INSTANT, -1), tx),
    );
    assert.equal(result?.newEmail, "after@example.com");
    assert.deepEqual(await t.store.findUser({ id: user.id }), user);
    assert.ok(await store().findEmailToken("change"));
    assert.deepEqual(await sessionsLeft(user), ["asker", "other"]);
  });

  test(
    "consumeEmailChange: of concurrent uses of one token, from two instances, one wins",
    TIMEOUT,
    async () => {
      const user = await t.user();
      await store().insertEmailToken(
        token(user, "change", { purpose: "change", email: "n@example.com" }),
      );
      const stores = [store(), new KyselyEmailTokenStore(t.connection())];
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          stores[i % 2]?.consumeEmailChange("change", AN_INSTANT, at(AN_INSTANT, -HOUR)),
        ),
      );
      assert.equal(results.filter((result) => result !== null).length, 1);
    },
  );

  test(
    "markEmailVerified stamps the address verified at now; false for an unknown id; nothing when rolled back",
    TIMEOUT,
    async () => {
      const user = await t.user();
      assert.equal(
        await inRolledBack(t.store, (tx) => store().markEmailVerified(user.id, AN_INSTANT, tx)),
        true,
      );
      assert.equal((await t.store.findUser({ id: user.id }))?.emailVerifiedAt, null);
      const now = at(AN_INSTANT, 17);
      assert.equal(await store().markEmailVerified(user.id, now), true);
      assert.equal(
        (await t.store.findUser({ id: user.id }))?.emailVerifiedAt?.getTime(),
        now.getTime(),
      );
      assert.equal(await store().markEmailVerified(987_654, now), false);
    },
  );

  test(
    "purgeExpiredEmailTokens deletes the tokens past their expiry (at it included), not the others",
    TIMEOUT,
    async () => {
      const user = await t.user();
      const other = await t.user();
      await store().insertEmailToken(token(user, "expired", { expiresAt: at(AN_INSTANT, MINUTE) }));
      await store().insertEmailToken(
        token(other, "expires-now", { expiresAt: at(AN_INSTANT, 2 * MINUTE) }),
      );
      await store().insertEmailToken(
        token(user, "live", {
          purpose: "change",
          email: "c@example.com",
          expiresAt: at(AN_INSTANT, 2 * MINUTE + 1),
        }),
      );
      await store().purgeExpiredEmailTokens(at(AN_INSTANT, 2 * MINUTE));
      assert.equal(await store().findEmailToken("expired"), null);
      assert.equal(await store().findEmailToken("expires-now"), null);
      assert.ok(await store().findEmailToken("live"));
    },
  );
});
