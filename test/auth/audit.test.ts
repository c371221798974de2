import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AuditEntry,
  type AuditStore,
  AuditTrail,
  toAuditEntry,
} from "../../src/auth/audit.js";
import { createAuth } from "../../src/create-auth.js";
import { manualClock } from "../helpers/clock.js";
import { testDatabases } from "../helpers/databases.js";

const DAY = 86_400_000;

test("every domain event maps to one audit row; hash timings are not audited", () => {
  const at = new Date();
  const client = { ip: "198.51.100.4", userAgent: "x".repeat(2000) };
  const rows = [
    toAuditEntry({ type: "registration", outcome: "taken", email: "A@Example.com", client }, at),
    toAuditEntry({ type: "login", outcome: "throttled", email: "a@example.com" }, at),
    toAuditEntry({ type: "logout", userId: 7 }, at),
    toAuditEntry({ type: "reset", stage: "requested", outcome: "throttled" }, at),
    toAuditEntry({ type: "reset", stage: "requested" }, at),
    toAuditEntry({ type: "reset", stage: "completed", userId: 7 }, at),
    toAuditEntry({ type: "password_changed", userId: 7 }, at),
  ];
  assert.deepEqual(
    rows.map((row) => `${row?.event}:${row?.outcome}`),
    [
      "register:taken",
      "login:throttled",
      "logout:success",
      "reset_requested:throttled",
      "reset_requested:accepted",
      "reset_completed:success",
      "password_changed:success",
    ],
  );
  assert.equal(rows[0]?.email, "a@example.com", "stored normalized");
  assert.equal(rows[0]?.userAgent?.length, 512, "user agents are capped");
  assert.equal(toAuditEntry({ type: "hash", operation: "verify", seconds: 0.2 }, at), null);
});

test("events of one tick go out as one insert, in order; a failing store reports and drops", async () => {
  const batches: AuditEntry[][] = [];
  let fail = false;
  const store: AuditStore = {
    async insertAuditEntries(entries) {
      if (fail) throw new Error("disk full");
      batches.push([...entries]);
    },
    listAuditEntries: async () => batches.flat(),
    deleteAuditEntriesBefore: async () => 0,
  };
  const errors: number[] = [];
  const trail = new AuditTrail(store, { onError: (_error, dropped) => errors.push(dropped) });
  for (let i = 0; i < 100; i++) trail.record({ type: "logout", userId: i });
  await trail.flush();
  assert.equal(batches.length, 1);
  assert.deepEqual(
    batches[0]?.map((entry) => entry.userId),
    Array.from({ length: 100 }, (_, i) => i),
  );
  fail = true;
  trail.record({ type: "logout", userId: 1 });
  trail.record({ type: "logout", userId: 2 });
  await trail.flush();
  assert.deepEqual(errors, [2]);
});

for (const factory of await testDatabases()) {
  describe(`audit retention on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    test("rows older than auditRetention are purged; newer ones stay", async () => {
      if ("skip" in factory) return;
      const database = await factory.create();
      const clock = manualClock();
      const service = await createAuth({
        databaseUrl: database.url,
        bcryptCost: 4,
        now: clock.now,
        auditRetention: 30 * DAY,
      });
      try {
        await service.auth.registerUser("old@example.com", "b4l0u");
        clock.advance(20 * DAY);
        await service.auth.registerUser("new@example.com", "b4l0u");
        assert.equal((await service.audit.list()).length, 2);
        clock.advance(11 * DAY);
        await service.purgeExpired();
        const left = await service.audit.list();
        assert.deepEqual(
          left.map((entry) => entry.email),
          ["new@example.com"],
        );
        assert.equal(left[0]?.at.getTime(), clock.now().getTime() - 11 * DAY);
      } finally {
        await service.close();
        await database.drop();
      }
    });
  });
}
