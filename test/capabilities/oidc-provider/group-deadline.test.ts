import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import pg from "pg";
import { PayloadStore } from "../../../src/capabilities/oidc-provider/payload-store.js";
import type { OidcDb } from "../../../src/capabilities/oidc-provider/store.js";
import type { connect } from "../../../src/platform/db/connect.js";
import { runWithDeadline } from "../../../src/platform/runtime/request-deadline.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { migratedConnection } from "../../helpers/migrated.js";

/**
 * The hot writes of one turn run in one group, flushed from a setImmediate
 * scheduled by the turn's FIRST writer: the flush runs in that writer's
 * AsyncLocalStorage scope, so every wait of the group (pool connection,
 * query_timeout, SQLite connection queue) is bounded by the first writer's
 * request deadline, not each writer's own.
 */
const T = { timeout: 60_000 };
const factories = await testDatabases();
const spin = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

for (const factory of factories) {
  describe(`a hot write is bounded by its own request's deadline, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    let connection: ReturnType<typeof connect>;
    let store: PayloadStore;
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      connection = await migratedConnection(database.url);
      store = new PayloadStore(
        connection.db as unknown as OidcDb,
        Date.now,
        connection.sqlite ?? undefined,
      );
    });
    after(async () => {
      await connection?.db.destroy();
      await database?.drop();
    });

    const consumedAt = async (id: string) =>
      (
        await (connection.db as unknown as OidcDb)
          .selectFrom("oidc_payloads")
          .select("consumed_at")
          .where("model", "=", "RefreshToken")
          .where("id", "=", id)
          .executeTakeFirst()
      )?.consumed_at ?? null;

    test(
      "a request whose deadline has passed does not fail another request's write of the same turn",
      T,
      async () => {
        for (const id of ["late-a", "ok-b"])
          await store.upsert("RefreshToken", id, { grantId: "g", jti: id }, 3600);
        let late!: Promise<boolean>;
        let fine!: Promise<boolean>;
        // Request A: 1 ms left when it writes; request B: 20 s left; same turn.
        runWithDeadline(Date.now() + 1, () => {
          late = store.consume("RefreshToken", "late-a");
        });
        spin(5);
        runWithDeadline(Date.now() + 20_000, () => {
          fine = store.consume("RefreshToken", "ok-b");
        });
        const [a, b] = await Promise.allSettled([late, fine]);
        assert.equal(
          b.status,
          "fulfilled",
          `B (20 s left) failed with A's deadline: ${String((b as PromiseRejectedResult).reason)}; A: ${a.status}`,
        );
        assert.equal((b as PromiseFulfilledResult<boolean>).value, true);
      },
    );

    if (factory.name === "postgres")
      test(
        "a write answered as failed for another request's deadline was committed after all (PostgreSQL)",
        T,
        async () => {
          for (const id of ["locked-a", "victim-b"])
            await store.upsert("RefreshToken", id, { grantId: "g2", jti: id }, 3600);
          // Another transaction (e.g. a take-back in another instance) holds A's row for a while.
          const holder = new pg.Client({ connectionString: database.url });
          await holder.connect();
          try {
            await holder.query("BEGIN");
            await holder.query(
              "SELECT 1 FROM oidc_payloads WHERE model = 'RefreshToken' AND id = 'locked-a' FOR UPDATE",
            );
            let a!: Promise<boolean>;
            let b!: Promise<boolean>;
            runWithDeadline(Date.now() + 300, () => {
              a = store.consume("RefreshToken", "locked-a");
            });
            runWithDeadline(Date.now() + 20_000, () => {
              b = store.consume("RefreshToken", "victim-b");
            });
            const settled = await Promise.allSettled([a, b]);
            await holder.query("COMMIT");
            await new Promise((resolve) => setTimeout(resolve, 500));
            const victimConsumed = await consumedAt("victim-b");
            const outcome = settled[1];
            assert.ok(
              outcome.status === "fulfilled" && outcome.value === true,
              `B (20 s left, its row free) was answered ${outcome.status === "rejected" ? `"${String(outcome.reason)}"` : JSON.stringify(outcome.value)}; its row consumed_at afterwards: ${victimConsumed}`,
            );
          } finally {
            await holder.end();
          }
        },
      );

    if (factory.name === "sqlite")
      test(
        "writes sent through the driver at flush wait by their own deadline (SQLite, transaction open)",
        T,
        async () => {
          for (const id of ["tx-a", "tx-b"])
            await store.upsert("RefreshToken", id, { grantId: "g3", jti: id }, 3600);
          let a!: Promise<boolean>;
          let b!: Promise<boolean>;
          // Another request's unit of work opens now and holds the connection for 400 ms.
          const tx2 = connection.db.transaction().execute(async (trx) => {
            await sql`select 1`.execute(trx);
            await new Promise((resolve) => setTimeout(resolve, 400));
          });
          // Same turn as the transaction's start: queued raw, sent to the driver
          // at flush (the transaction is open by then), in A's scope.
          runWithDeadline(Date.now() + 100, () => {
            a = store.consume("RefreshToken", "tx-a");
          });
          runWithDeadline(Date.now() + 20_000, () => {
            b = store.consume("RefreshToken", "tx-b");
          });
          const [ra, rb] = await Promise.allSettled([a, b]);
          await tx2;
          assert.equal(
            rb.status,
            "fulfilled",
            `B (20 s left) failed: ${String((rb as PromiseRejectedResult).reason)}; A: ${ra.status}`,
          );
        },
      );
  });
}
