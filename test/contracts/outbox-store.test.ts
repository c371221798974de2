import assert from "node:assert/strict";
import { test } from "node:test";
import { KyselyOutboxStore } from "../../src/platform/mail/kysely-outbox-store.js";
import type { OutboxStore } from "../../src/platform/mail/outbox.js";
import {
  AN_INSTANT,
  at,
  DAY,
  inRolledBack,
  MINUTE,
  onEveryDatabase,
  SECOND,
  TIMEOUT,
} from "./harness.js";

// OutboxStore (src/platform/mail/outbox.ts), implemented by
// KyselyOutboxStore: the durable mail queue.

const LEASE = MINUTE;

await onEveryDatabase("OutboxStore contract", (t) => {
  const store = (): OutboxStore => new KyselyOutboxStore(t.db);
  const ids = (messages: Array<{ id: number | string }>) =>
    messages.map((message) => Number(message.id)).sort((a, b) => a - b);
  /** Every row of the outbox, read behind the store's back. */
  const allQueued = () => t.db.selectFrom("mail_outbox").select("id").execute();

  test(
    "a queued mail is claimed as queued, its language kept, with its first attempt counted",
    TIMEOUT,
    async () => {
      await store().enqueueMail("reset", "ann@example.com", AN_INSTANT);
      await store().enqueueMail("verify", "Bob@Example.com", AN_INSTANT, 12_345, undefined, "de");
      const claimed = await store().claimDueMail(AN_INSTANT, LEASE, 10);
      assert.equal(claimed.length, 2);
      const byKind = new Map(claimed.map((message) => [message.kind, message]));
      const reset = byKind.get("reset");
      assert.ok(reset);
      assert.equal(typeof reset.id, "number");
      assert.deepEqual(reset, {
        id: reset.id,
        kind: "reset",
        email: "ann@example.com",
        refId: null,
        attempts: 1,
        language: null,
      });
      assert.deepEqual(byKind.get("verify"), {
        id: byKind.get("verify")?.id,
        kind: "verify",
        email: "Bob@Example.com",
        refId: 12_345,
        attempts: 1,
        language: "de",
      });
    },
  );

  test("claimDueMail: only mail due at now, at most `limit`", TIMEOUT, async () => {
    await store().enqueueMail("reset", "later@example.com", at(AN_INSTANT, 1));
    for (let i = 0; i < 3; i++)
      await store().enqueueMail("reset", `due${i}@example.com`, AN_INSTANT);
    assert.deepEqual(await store().claimDueMail(at(AN_INSTANT, -1), LEASE, 10), [], "none due yet");
    const first = await store().claimDueMail(AN_INSTANT, LEASE, 2);
    assert.equal(first.length, 2);
    const rest = await store().claimDueMail(AN_INSTANT, LEASE, 10);
    assert.equal(rest.length, 1, "the third, not the later one");
    assert.deepEqual([...first, ...rest].map((message) => message.email).sort(), [
      "due0@example.com",
      "due1@example.com",
      "due2@example.com",
    ]);
    assert.deepEqual(
      (await store().claimDueMail(at(AN_INSTANT, 1), LEASE, 10)).map((message) => message.email),
      ["later@example.com"],
    );
  });

  test(
    "a claimed mail is held for the lease, then due again with another attempt counted",
    TIMEOUT,
    async () => {
      await store().enqueueMail("reset", "ann@example.com", AN_INSTANT);
      const [claimed] = await store().claimDueMail(AN_INSTANT, LEASE, 10);
      assert.ok(claimed);
      assert.deepEqual(
        await store().claimDueMail(at(AN_INSTANT, LEASE - 1), LEASE, 10),
        [],
        "held",
      );
      const [again] = await store().claimDueMail(at(AN_INSTANT, LEASE), LEASE, 10);
      assert.equal(again?.id, claimed.id, "its sender died: due again when the lease ends");
      assert.equal(again?.attempts, 2);
    },
  );

  test(
    "a mail is claimed by one sender at a time: concurrent claims from two instances share it out",
    TIMEOUT,
    async () => {
      for (let i = 0; i < 12; i++)
        await store().enqueueMail("reset", `m${i}@example.com`, AN_INSTANT);
      const senders = [store(), new KyselyOutboxStore(t.connection())];
      const claims = await Promise.all(
        Array.from(
          { length: 6 },
          (_, i) => senders[i % 2]?.claimDueMail(AN_INSTANT, LEASE, 4) ?? [],
        ),
      );
      const all = claims.flat().map((message) => message.id);
      assert.equal(new Set(all).size, all.length, "no mail claimed twice");
      // "Up to limit": a sender that lost a race for a row gets fewer; the rest is still there.
      const rest = await store().claimDueMail(AN_INSTANT, LEASE, 12);
      assert.deepEqual(ids([...claims.flat(), ...rest]), ids(await allQueued()));
      assert.ok(claims.flat().every((message) => message.attempts === 1));
    },
  );

  test("deleteMail: the mail goes", TIMEOUT, async () => {
    await store().enqueueMail("reset", "sent@example.com", AN_INSTANT);
    await store().enqueueMail("reset", "other@example.com", AN_INSTANT);
    const claimed = await store().claimDueMail(AN_INSTANT, LEASE, 10);
    const sent = claimed.find((message) => message.email === "sent@example.com");
    assert.ok(sent);
    await store().deleteMail(sent.id);
    const later = await store().claimDueMail(at(AN_INSTANT, DAY), LEASE, 10);
    assert.deepEqual(
      later.map((message) => message.email),
      ["other@example.com"],
    );
  });

  test(
    "rescheduleMail: the lease ends and the mail is due again at nextAttemptAt, not before",
    TIMEOUT,
    async () => {
      await store().enqueueMail("reset", "ann@example.com", AN_INSTANT);
      const [claimed] = await store().claimDueMail(AN_INSTANT, LEASE, 10);
      assert.ok(claimed);
      // Sooner than the lease would have ended: the reschedule ends the lease.
      const retryAt = at(AN_INSTANT, 10 * SECOND);
      await store().rescheduleMail(claimed.id, retryAt, "SMTP 451");
      assert.deepEqual(await store().claimDueMail(at(retryAt, -1), LEASE, 10), []);
      const [retried] = await store().claimDueMail(retryAt, LEASE, 10);
      assert.equal(retried?.id, claimed.id);
      assert.equal(retried?.attempts, 2);
    },
  );

  test(
    "failMail: kept as failed, never claimed again, deleted by deleteFailedMailBefore",
    TIMEOUT,
    async () => {
      await store().enqueueMail("reset", "old-failed@example.com", AN_INSTANT);
      await store().enqueueMail("reset", "new-failed@example.com", at(AN_INSTANT, DAY));
      await store().enqueueMail("reset", "pending@example.com", AN_INSTANT);
      const claimed = await store().claimDueMail(at(AN_INSTANT, DAY), LEASE, 10);
      const pending = claimed.find((message) => message.email === "pending@example.com");
      for (const message of claimed) {
        if (message !== pending) await store().failMail(message.id, "out of attempts");
      }
      assert.ok(pending);
      await store().rescheduleMail(pending.id, at(AN_INSTANT, DAY), "later");
      assert.deepEqual(
        (await store().claimDueMail(at(AN_INSTANT, 2 * DAY), LEASE, 10)).map(
          (message) => message.email,
        ),
        ["pending@example.com"],
        "failed mail is not claimed",
      );
      assert.equal(await t.count("mail_outbox"), 3, "failed mail is kept");
      // Created before `before` only, and failed only.
      assert.equal(await store().deleteFailedMailBefore(at(AN_INSTANT, DAY)), 1);
      assert.equal(await t.count("mail_outbox"), 2);
      assert.equal(await store().deleteFailedMailBefore(at(AN_INSTANT, 3 * DAY)), 1);
      assert.equal(await t.count("mail_outbox"), 1, "the pending one stays");
    },
  );

  test("enqueueMail in a transaction: sent only if it commits", TIMEOUT, async () => {
    await inRolledBack(t.store, (tx) =>
      store().enqueueMail("reset", "never@example.com", AN_INSTANT, undefined, tx),
    );
    assert.deepEqual(await store().claimDueMail(AN_INSTANT, LEASE, 10), []);
    await t.store.transaction((tx) =>
      store().enqueueMail("verify", "kept@example.com", AN_INSTANT, 7, tx),
    );
    const [kept] = await store().claimDueMail(AN_INSTANT, LEASE, 10);
    assert.equal(kept?.email, "kept@example.com");
    assert.equal(kept?.refId, 7);
  });
});
