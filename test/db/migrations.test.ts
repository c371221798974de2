import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import { connect } from "../../src/platform/db/connect.js";
import { atomic } from "../../src/platform/db/migrations/index.js";
import { spawnServers, stopServers } from "../helpers/cli.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { request } from "../helpers/http.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/migrate-at.ts", import.meta.url));
const run = promisify(execFile);

for (const factory of await testDatabases()) {
  describe(`migrations on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const database of databases) await database.drop();
    });

    test("three instances starting at once over one new database all come up", async () => {
      if ("skip" in factory) return;
      const database = await factory.create();
      databases.push(database);
      const env = { DATABASE_URL: database.url, BCRYPT_COST: "4" };
      const servers = await spawnServers(env, 3);
      try {
        const form = { email: "concurrent-start@example.com", password: "b4l0u" };
        assert.equal(
          (await request(servers[0]?.url ?? "", "POST", "/users", { form })).status,
          200,
        );
        for (const server of servers) {
          assert.equal((await request(server.url, "POST", "/sessions", { form })).status, 200);
          assert.doesNotMatch(server.output(), /"level":50/, "no errors logged");
        }
      } finally {
        await stopServers(servers);
      }
    });

    test("six processes migrating one new database at the same instant: all succeed", async () => {
      if ("skip" in factory) return;
      const database = await factory.create();
      databases.push(database);
      const at = String(Date.now() + 2500);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          run(process.execPath, ["--import", "tsx", FIXTURE, database.url, at]),
        ),
      );
      for (const result of results) assert.equal(result.stdout.trim(), "migrated");
    });

    test("a migration that fails halfway leaves nothing behind", async () => {
      if ("skip" in factory) return;
      const database = await factory.create();
      databases.push(database);
      const { db } = connect({ url: database.url });
      try {
        const migrator = new Migrator({
          db,
          provider: {
            getMigrations: async () => ({
              "0001-broken": atomic({
                async up(trx) {
                  await trx.schema.createTable("half_made").addColumn("id", "integer").execute();
                  throw new Error("boom");
                },
              }),
            }),
          },
        });
        const { error } = await migrator.migrateToLatest();
        assert.match(String(error), /boom/);
        const tables = await db.introspection.getTables();
        assert.ok(
          !tables.some((table) => table.name === "half_made"),
          "the half-made table was rolled back",
        );
        await sql`SELECT 1`.execute(db); // the connection is usable, no transaction left open
      } finally {
        await db.destroy();
      }
    });
  });
}
