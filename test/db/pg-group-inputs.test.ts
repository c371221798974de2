import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PayloadStore } from "../../src/capabilities/oidc-provider/payload-store.js";
import type { OidcDb } from "../../src/capabilities/oidc-provider/store.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { migratedConnection } from "../helpers/migrated.js";

/**
 * Grouped PostgreSQL writes (placeholders renumbered into one WITH statement)
 * with hostile values everywhere a value goes: each row must read back as
 * written, and a refused write (a NUL in a text column) must fail alone.
 */
const T = { timeout: 60_000 };
const postgres = (await testDatabases()).find((factory) => factory.name === "postgres");
const HOSTILE = [
  "$1",
  "$2$",
  "'; drop table oidc_payloads; --",
  "/* x */ returning *",
  "$$ $tag$ ",
  "\\u0000",
  "\ud800 lone surrogate",
  "a:b",
  "é 𝄞 ",
  "x".repeat(20_000),
];

describe("grouped PostgreSQL writes carry any value unchanged", {
  skip: !postgres || "skip" in postgres ? "no PostgreSQL" : false,
}, () => {
  let database: TestDatabase;
  let db: OidcDb;
  let store: PayloadStore;
  before(async () => {
    if (!postgres || "skip" in postgres) return;
    database = await postgres.create();
    const connection = await migratedConnection(database.url, 10_000);
    db = connection.db as unknown as OidcDb;
    store = new PayloadStore(db, Date.now);
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  test(
    "150 writes of one turn, hostile ids and payloads, one refused: each answered as it is stored",
    T,
    async () => {
      const writes: Array<{ model: string; id: string; payload: Record<string, unknown> }> = [];
      for (let n = 0; n < 150; n++) {
        const value = HOSTILE[n % HOSTILE.length] as string;
        writes.push({
          model: n % 2 ? "Interaction" : "Session",
          id: `${value.slice(0, 40)}#${n}`,
          payload: {
            state: value,
            redirect_uri: `https://rp.example/${value.slice(0, 50)}`,
            uid: `${value.slice(0, 30)}-${n}`,
            accountId: value.slice(0, 30),
            // A NUL in a text column (uid) is refused by PostgreSQL: this write alone fails.
            ...(n === 77 ? { userCode: "bad\u0000code" } : {}),
          },
        });
      }
      const settled = await Promise.allSettled(
        writes.map((write) => store.upsert(write.model, write.id, write.payload, 600)),
      );
      const failed = settled.flatMap((outcome, n) => (outcome.status === "rejected" ? [n] : []));
      assert.deepEqual(
        failed,
        [77],
        String((settled[failed[0] ?? 0] as PromiseRejectedResult).reason),
      );
      for (const [n, write] of writes.entries()) {
        const found = await store.find(write.model, "id", write.id);
        if (n === 77) assert.equal(found, undefined);
        else
          assert.deepEqual(
            found,
            JSON.parse(JSON.stringify(write.payload)),
            `row ${n} did not read back as written`,
          );
      }
      // Consumes of these rows, twice each, in one turn: exactly one wins per row.
      const targets = writes.filter((_, n) => n !== 77).slice(0, 40);
      const consumed = await Promise.all(
        [...targets, ...targets].map((write) => store.consume(write.model, write.id)),
      );
      // Each consume is a statement of its own, so either of a row's two may win.
      const winners = targets.map((_, n) => Number(consumed[n]) + Number(consumed[n + 40]));
      assert.deepEqual(winners, Array(40).fill(1));
    },
  );
});
