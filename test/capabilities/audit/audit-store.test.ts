import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type AuditEntry,
  AuditRowsLost,
  type AuditStore,
} from "../../../src/capabilities/audit/audit.js";
import { KyselyAuditStore } from "../../../src/capabilities/audit/kysely-store.js";
import { runWithDeadline } from "../../../src/platform/runtime/request-deadline.js";
import {
  AN_INSTANT,
  at,
  DAY,
  inRolledBack,
  onEveryDatabase,
  SECOND,
  TIMEOUT,
} from "../../contracts/harness.js";

// AuditStore (src/capabilities/audit/audit.ts), implemented by
// KyselyAuditStore: the audit trail's rows.

function entry(changes: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: AN_INSTANT,
    event: "login",
    outcome: "success",
    userId: null,
    email: null,
    ip: null,
    userAgent: null,
    repeats: 1,
    ...changes,
  };
}

await onEveryDatabase("AuditStore contract", (t) => {
  // As the service makes it: over SQLite with the raw connection, whose rows then go grouped.
  const store = (): AuditStore => new KyselyAuditStore(t.db, t.sqlite);

  test(
    "entries come back as written: every field, exact instants, null or not",
    TIMEOUT,
    async () => {
      const full = entry({
        at: at(AN_INSTANT, 1),
        event: "register",
        outcome: "success",
        userId: 42,
        email: "ann@example.com",
        ip: "2001:db8::7",
        userAgent: "curl/8",
        repeats: 1,
      });
      const summed = entry({
        at: at(AN_INSTANT, 2),
        event: "reset_requested",
        outcome: "throttled",
        repeats: 49,
      });
      await store().insertAuditEntries([full, summed]);
      const listed = await store().listAuditEntries({});
      assert.deepEqual(listed, [full, summed]);
      assert.ok(listed.every((row) => row.at instanceof Date));
      assert.equal(typeof listed[0]?.userId, "number");
    },
  );

  test(
    "listAuditEntries: oldest first, and entries of one instant in the order written",
    TIMEOUT,
    async () => {
      await store().insertAuditEntries([
        entry({ at: at(AN_INSTANT, 3 * SECOND), outcome: "third" }),
        entry({ at: at(AN_INSTANT, SECOND), outcome: "first" }),
      ]);
      await store().insertAuditEntries([
        entry({ at: at(AN_INSTANT, 2 * SECOND), outcome: "second" }),
      ]);
      await store().insertAuditEntries([
        entry({ at: at(AN_INSTANT, 4 * SECOND), outcome: "same-instant-a" }),
        entry({ at: at(AN_INSTANT, 4 * SECOND), outcome: "same-instant-b" }),
      ]);
      await store().insertAuditEntries([
        entry({ at: at(AN_INSTANT, 4 * SECOND), outcome: "same-instant-c" }),
      ]);
      assert.deepEqual(
        (await store().listAuditEntries({})).map((row) => row.outcome),
        ["first", "second", "third", "same-instant-a", "same-instant-b", "same-instant-c"],
      );
    },
  );

  test(
    "listAuditEntries: by email after normalizing it, since an instant (included), up to a limit",
    TIMEOUT,
    async () => {
      await store().insertAuditEntries([
        entry({ at: at(AN_INSTANT, 1), email: "ann@example.com", outcome: "a1" }),
        entry({ at: at(AN_INSTANT, 2), email: "bob@example.com", outcome: "b1" }),
        entry({ at: at(AN_INSTANT, 3), email: "ann@example.com", outcome: "a2" }),
        entry({ at: at(AN_INSTANT, 4), email: null, outcome: "none" }),
        entry({ at: at(AN_INSTANT, 5), email: "ann@example.com", outcome: "a3" }),
      ]);
      const outcomes = async (query: Parameters<AuditStore["listAuditEntries"]>[0]) =>
        (await store().listAuditEntries(query)).map((row) => row.outcome);
      assert.deepEqual(await outcomes({ email: "ANN@Example.com" }), ["a1", "a2", "a3"]);
      assert.deepEqual(await outcomes({ since: at(AN_INSTANT, 3) }), ["a2", "none", "a3"]);
      assert.deepEqual(await outcomes({ email: "ann@example.com", since: at(AN_INSTANT, 2) }), [
        "a2",
        "a3",
      ]);
      assert.deepEqual(await outcomes({ limit: 2 }), ["a1", "b1"], "the oldest two");
      assert.deepEqual(await outcomes({ email: "nobody@example.com" }), []);
    },
  );

  test(
    "insertAuditEntries writes every entry of a batch larger than one statement takes",
    TIMEOUT,
    async () => {
      const many = Array.from({ length: 1201 }, (_, i) =>
        entry({ at: at(AN_INSTANT, i), outcome: `n${i}` }),
      );
      await store().insertAuditEntries(many);
      const listed = await store().listAuditEntries({ limit: 5000 });
      assert.equal(listed.length, 1201);
      assert.equal(listed[1200]?.outcome, "n1200");
      await store().insertAuditEntries([]);
      assert.equal(await t.count("audit_log"), 1201, "an empty batch writes nothing");
    },
  );

  test(
    "insertAuditEntries: a row the database refuses is lost with the batch, or alone, and the error says which",
    TIMEOUT,
    async () => {
      // The fault: a row without its event, which the table's NOT NULL refuses.
      const refused = entry({ outcome: "refused", event: null as never });
      const batch = [entry({ outcome: "before" }), refused, entry({ outcome: "after" })];
      const error = await store()
        .insertAuditEntries(batch)
        .then(
          () => assert.fail("a refused row must be reported"),
          (caught: unknown) => caught,
        );
      const written = (await store().listAuditEntries({})).map((row) => row.outcome);
      if (t.sqlite) {
        // Grouped (one statement a row): only the refused row is lost.
        assert.ok(error instanceof AuditRowsLost, String(error));
        assert.equal(error.count, 1);
        assert.match(String((error.cause as Error).message), /NOT NULL/);
        assert.deepEqual(written, ["before", "after"]);
      } else {
        // One multi-row statement: nothing of it is kept.
        assert.ok(!(error instanceof AuditRowsLost));
        assert.deepEqual(written, []);
      }
    },
  );

  test(
    "insertAuditEntries without a transaction is the trail's, off the request path: a request's passed deadline does not drop it",
    TIMEOUT,
    async () => {
      // Another unit of work holds the connection (over SQLite, the only one)
      // while the rows wait: they must wait for it, not give up at once.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const holding = t.store.transaction(async (tx) => {
        await t.store.deleteSessionByTokenHash("no-such-session", tx);
        await held;
      });
      const writing = runWithDeadline(Date.now() - 1, () =>
        store().insertAuditEntries([entry({ outcome: "late" })]),
      );
      setTimeout(release, 50);
      await holding;
      await writing;
      assert.deepEqual(
        (await store().listAuditEntries({})).map((row) => row.outcome),
        ["late"],
      );
    },
  );

  test(
    "insertAuditEntries in a transaction: the rows commit with it, or not at all",
    TIMEOUT,
    async () => {
      await inRolledBack(t.store, (tx) =>
        store().insertAuditEntries(
          [entry({ outcome: "rolled-back" }), entry({ outcome: "too" })],
          tx,
        ),
      );
      assert.deepEqual(await store().listAuditEntries({}), []);
      await t.store.transaction((tx) =>
        store().insertAuditEntries([entry({ outcome: "committed" })], tx),
      );
      assert.deepEqual(
        (await store().listAuditEntries({})).map((row) => row.outcome),
        ["committed"],
      );
    },
  );

  test(
    "deleteAuditEntriesBefore deletes the entries strictly older and says how many",
    TIMEOUT,
    async () => {
      const cutoff = at(AN_INSTANT, 30 * DAY);
      await store().insertAuditEntries([
        entry({ at: AN_INSTANT, outcome: "old" }),
        entry({ at: at(cutoff, -1), outcome: "just-older" }),
        entry({ at: cutoff, outcome: "at-cutoff" }),
        entry({ at: at(cutoff, 1), outcome: "newer" }),
      ]);
      assert.equal(await store().deleteAuditEntriesBefore(cutoff), 2);
      assert.deepEqual(
        (await store().listAuditEntries({})).map((row) => row.outcome),
        ["at-cutoff", "newer"],
      );
      assert.equal(await store().deleteAuditEntriesBefore(cutoff), 0);
    },
  );
});
