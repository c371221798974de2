import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";
import {
  type AuditEntry,
  AuditRowsLost,
  type AuditStore,
  AuditTrail,
  toAuditEntry,
} from "../../../src/capabilities/audit/audit.js";
import { createAuth } from "../../../src/main/create-auth.js";
import { manualClock } from "../../helpers/clock.js";
import { testDatabases } from "../../helpers/databases.js";

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

test("a reporter that throws loses its batch only: the next batches are still written", async () => {
  const written: number[] = [];
  let fail = true;
  const store: AuditStore = {
    insertAuditEntries: async (entries) => {
      if (fail) throw new Error("disk full");
      written.push(...entries.map((entry) => entry.userId ?? -1));
    },
    listAuditEntries: async () => [],
    deleteAuditEntriesBefore: async () => 0,
  };
  const trail = new AuditTrail(store, {
    onError: () => {
      throw new Error("the logger is broken");
    },
  });
  trail.record({ type: "logout", userId: 1 });
  await trail.flush();
  fail = false;
  trail.record({ type: "logout", userId: 2 });
  await trail.flush();
  assert.deepEqual(written, [2]);
});

test("a batch the store wrote but for some rows reports those rows as dropped, with their cause", async () => {
  const cause = new Error("NOT NULL constraint failed");
  const store: AuditStore = {
    insertAuditEntries: async () => {
      throw new AuditRowsLost(1, cause);
    },
    listAuditEntries: async () => [],
    deleteAuditEntriesBefore: async () => 0,
  };
  const reported: Array<[unknown, number]> = [];
  const trail = new AuditTrail(store, {
    onError: (error, dropped) => reported.push([error, dropped]),
  });
  for (let i = 0; i < 3; i++) trail.record({ type: "logout", userId: i });
  await trail.flush();
  assert.deepEqual(reported, [[cause, 1]]);
});

test("events that arrive while an insert is being written go out together in the next one", async () => {
  const batches: number[] = [];
  let finishWrite: () => void = () => {};
  const store: AuditStore = {
    // A slow database (the fault injected): each insert waits to be let go.
    insertAuditEntries: (entries) =>
      new Promise<void>((resolve) => {
        batches.push(entries.length);
        finishWrite = resolve;
      }),
    listAuditEntries: async () => [],
    deleteAuditEntriesBefore: async () => 0,
  };
  const trail = new AuditTrail(store);
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  trail.record({ type: "logout", userId: 0 });
  await nextTurn();
  assert.deepEqual(batches, [1], "the first event is written at once");
  // Ten turns' events while that insert is in flight.
  for (let i = 1; i <= 10; i++) {
    trail.record({ type: "logout", userId: i });
    await nextTurn();
  }
  assert.deepEqual(batches, [1]);
  finishWrite();
  await nextTurn();
  assert.deepEqual(batches, [1, 10], "one insert for all ten");
  finishWrite();
  await trail.flush();
  assert.deepEqual(batches, [1, 10]);
});

/** A trail on a manual clock whose store keeps the written rows in a list. */
function trailOnAList() {
  const written: AuditEntry[] = [];
  const store: AuditStore = {
    insertAuditEntries: async (entries) => void written.push(...entries),
    listAuditEntries: async () => written,
    deleteAuditEntriesBefore: async () => 0,
  };
  const clock = manualClock();
  return { written, clock, trail: new AuditTrail(store, { now: clock.now }) };
}

test("a window's sum is written when that window ends, without a flush", async () => {
  mock.timers.enable({ apis: ["setTimeout", "setImmediate"] });
  try {
    const { written, trail, clock } = trailOnAList();
    const busy = (ip: string) =>
      trail.record({ type: "login", outcome: "busy", email: "v@example.com", client: { ip } });
    // Moves the trail's clock and the timers together, then lets the writes run.
    const advance = async (ms: number) => {
      clock.advance(ms);
      mock.timers.tick(ms);
      mock.timers.tick(0); // the write is scheduled with setImmediate
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    const sums = () => written.filter((entry) => entry.repeats > 1).map((entry) => entry.ip);

    busy("203.0.113.1");
    busy("203.0.113.1");
    busy("203.0.113.1");
    await advance(30_000);
    busy("203.0.113.2"); // opens a window that ends 30 s after the first one
    busy("203.0.113.2");
    busy("203.0.113.2");
    await advance(30_000);
    assert.deepEqual(sums(), ["203.0.113.1"], "the first window's sum, at its end");
    await advance(29_000);
    assert.deepEqual(sums(), ["203.0.113.1"], "the second window is still open");
    await advance(1_000);
    assert.deepEqual(sums(), ["203.0.113.1", "203.0.113.2"], "and written at its end");
    await trail.flush();
  } finally {
    mock.timers.reset();
  }
});

test("refusals repeated from one address become one row per minute with their count", async () => {
  const { written, trail, clock } = trailOnAList();
  const from = (ip: string) => ({ client: { ip, userAgent: "flood" } });
  const busy = (ip: string, email = "victim@example.com") =>
    trail.record({ type: "login", outcome: "busy", email, ...from(ip) });

  for (let i = 0; i < 1000; i++) {
    busy("203.0.113.1", `user${i}@example.com`);
    clock.advance(10);
  }
  busy("203.0.113.2");
  busy("203.0.113.2");
  trail.record({
    type: "login",
    outcome: "failure",
    email: "victim@example.com",
    ...from("203.0.113.1"),
  });
  trail.record({
    type: "login",
    outcome: "failure",
    email: "victim@example.com",
    ...from("203.0.113.1"),
  });
  clock.advance(60_000);
  trail.record({
    type: "login",
    outcome: "throttled",
    email: "victim@example.com",
    ...from("203.0.113.1"),
  });
  busy("203.0.113.1"); // a new minute: the last one's sum is written, a new window opens
  await trail.flush();

  const summary = written.map(
    (entry) => `${entry.outcome} ${entry.ip} x${entry.repeats} ${entry.email}`,
  );
  assert.deepEqual(summary, [
    "busy 203.0.113.1 x1 user0@example.com",
    "busy 203.0.113.2 x1 victim@example.com",
    "failure 203.0.113.1 x1 victim@example.com",
    "failure 203.0.113.1 x1 victim@example.com",
    "throttled 203.0.113.1 x1 victim@example.com",
    "busy 203.0.113.1 x999 user999@example.com",
    "busy 203.0.113.1 x1 victim@example.com",
    "busy 203.0.113.2 x1 victim@example.com",
  ]);
});

for (const factory of await testDatabases()) {
  describe(`audit retention on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    test("a summed-up row keeps its count in the table", async () => {
      if ("skip" in factory) return;
      const database = await factory.create();
      const service = await createAuth({ databaseUrl: database.url, bcryptCost: 4 }).catch(
        async (error: unknown) => {
          await database.drop();
          throw error;
        },
      );
      try {
        const client = { ip: "203.0.113.9", userAgent: "flood" };
        for (let i = 0; i < 50; i++) {
          service.audit.record({ type: "reset", stage: "requested", outcome: "throttled", client });
        }
        const rows = await service.audit.list();
        assert.deepEqual(
          rows.map((entry) => [entry.event, entry.outcome, entry.repeats]),
          [
            ["reset_requested", "throttled", 1],
            ["reset_requested", "throttled", 49],
          ],
        );
      } finally {
        try {
          await service.close();
        } finally {
          await database.drop();
        }
      }
    });

    test("rows older than auditRetention are purged; newer ones stay", async () => {
      if ("skip" in factory) return;
      const database = await factory.create();
      const clock = manualClock();
      const service = await createAuth({
        databaseUrl: database.url,
        bcryptCost: 4,
        now: clock.now,
        auditRetention: 30 * DAY,
      }).catch(async (error: unknown) => {
        await database.drop();
        throw error;
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
        try {
          await service.close();
        } finally {
          await database.drop();
        }
      }
    });
  });
}
