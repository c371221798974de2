import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { PayloadStore } from "../../src/capabilities/oidc-provider/payload-store.js";
import type { OidcDb } from "../../src/capabilities/oidc-provider/store.js";
import { migratedConnection } from "../helpers/migrated.js";
import {
  type ProxiedPostgres,
  postgresFactory,
  proxiedPostgres,
} from "../helpers/proxied-postgres.js";

/**
 * The connection is cut while a group's one statement is on the wire (before
 * and after the server got it): every write of the group is answered with an
 * error, and the rows are all there or none (one statement, one commit).
 */
const { postgres, skip } = await postgresFactory();
const T = { timeout: 60_000 };

describe("a PostgreSQL group cut mid-statement", { skip }, () => {
  let proxied: ProxiedPostgres;
  let db: OidcDb;
  let store: PayloadStore;
  before(async () => {
    if (!postgres) return;
    proxied = await proxiedPostgres(postgres);
    const connection = await migratedConnection(proxied.url, 3000);
    db = connection.db as unknown as OidcDb;
    store = new PayloadStore(db, Date.now);
  });
  after(async () => {
    await db?.destroy();
    await proxied?.close();
  });

  for (const when of ["before the server reads it", "after the server ran it"] as const)
    test(`cut ${when}: all answered failed, all or none kept`, T, async () => {
      const prefix = when.startsWith("before") ? "cut-before" : "cut-after";
      const ids = Array.from({ length: 10 }, (_, n) => `${prefix}-${n}`);
      let stalled = false;
      proxied.proxy.stallOn("with w0", { onStall: () => (stalled = true) });
      const writes = Promise.allSettled(
        ids.map((id) => store.upsert("AccessToken", id, { jti: id }, 600)),
      );
      while (!stalled) await new Promise((resolve) => setTimeout(resolve, 5));
      if (when.startsWith("after")) {
        // Let the statement through, hold the answer, then cut.
        proxied.proxy.resume();
        proxied.proxy.stall();
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      proxied.proxy.cut();
      const settled = await writes;
      proxied.proxy.restore();
      proxied.proxy.resume();
      const direct = new pg.Client({ connectionString: proxied.database.url });
      await direct.connect();
      try {
        const { rows } = await direct.query(
          "SELECT count(*)::int AS n FROM oidc_payloads WHERE id LIKE $1",
          [`${prefix}-%`],
        );
        const kept = rows[0].n as number;
        assert.ok(kept === 0 || kept === ids.length, `half of a group kept: ${kept}`);
        const answered = settled.filter((s) => s.status === "fulfilled").length;
        assert.ok(
          answered === 0 || (answered === ids.length && kept === ids.length),
          `answered ${answered} written, ${kept} rows kept`,
        );
        if (process.env.PENTEST_DEBUG) console.log(when, { answered, kept });
      } finally {
        await direct.end();
      }
    });
});
