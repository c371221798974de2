import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Kysely, sql } from "kysely";
import { connect } from "../../src/platform/db/connect.js";
import { HotQuery } from "../../src/platform/db/hot-query.js";
import { PgGroupCommit } from "../../src/platform/db/pg-group-commit.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";

const TIMEOUT = { timeout: 60_000 };
const postgres = (await testDatabases()).find((factory) => factory.name === "postgres");

type Db = Kysely<{ t: { id: string; used: number | null } }>;

/**
 * Over PostgreSQL the hot writes of one turn of the event loop go as one
 * statement (PgGroupCommit): one round trip and one commit.
 */
describe("hot writes over PostgreSQL, grouped by turn", {
  skip: postgres && "skip" in postgres ? postgres.skip : false,
}, () => {
  let database: TestDatabase;
  let db: Db;
  let insert: HotQuery<unknown>;
  let use: HotQuery<unknown>;

  before(async () => {
    if (!postgres || "skip" in postgres) return;
    database = await postgres.create();
    db = connect({ url: database.url, timeoutMs: 5000 }).db as unknown as Db;
    await sql`CREATE TABLE t (id text PRIMARY KEY, used integer)`.execute(db);
    insert = new HotQuery(
      db as never,
      db.insertInto("t").values({ id: "", used: null }).compile(),
      undefined,
    );
    // A consume: marks the row used unless it already was.
    use = new HotQuery(
      db as never,
      db.updateTable("t").set({ used: 1 }).where("id", "=", "").where("used", "is", null).compile(),
      undefined,
    );
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const transactionsOf = async (prefix: string) =>
    (
      await sql<{
        n: number;
      }>`SELECT count(DISTINCT xmin::text)::int AS n FROM t WHERE id LIKE ${`${prefix}%`}`.execute(
        db,
      )
    ).rows[0]?.n;

  test(
    "the writes of one turn are one statement: every row they wrote has one transaction",
    TIMEOUT,
    async () => {
      const written = await Promise.all(
        Array.from({ length: 20 }, (_, n) => insert.changes([`one-${n}`, null], `one-${n}`)),
      );
      assert.deepEqual(written, Array(20).fill(1));
      assert.equal(await transactionsOf("one-"), 1);
      // Writes of different turns commit apart.
      await insert.changes(["apart-1", null]);
      await insert.changes(["apart-2", null]);
      assert.equal(await transactionsOf("apart-"), 2);
    },
  );

  test(
    "two writes of one row never share a statement: each sees the other as it would alone",
    TIMEOUT,
    async () => {
      // In one statement the update would not see the row the insert adds
      // (one snapshot), and two consumes of a row would race unseen.
      const [inserted, firstUse, secondUse] = await Promise.all([
        insert.changes(["row-1", null], "row-1"),
        use.changes([1, "row-1"], "row-1"),
        use.changes([1, "row-1"], "row-1"),
      ]);
      assert.deepEqual([inserted, firstUse, secondUse], [1, 1, 0]);
    },
  );

  test("one write's failure in a group is its own: the others commit", TIMEOUT, async () => {
    await insert.changes(["taken", null]);
    const outcomes = await Promise.allSettled(
      ["fail-a", "taken", "fail-b"].map((id) => insert.changes([id, null], `${id}:new`)),
    );
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /duplicate key/);
    const rows = await db
      .selectFrom("t")
      .select("id")
      .where("id", "like", "fail-%")
      .orderBy("id")
      .execute();
    assert.deepEqual(rows, [{ id: "fail-a" }, { id: "fail-b" }]);
  });

  test("a write whose SQL holds a literal or its own RETURNING is never combined", TIMEOUT, () => {
    assert.equal(
      PgGroupCommit.accepts(db.insertInto("t").values({ id: "", used: null }).compile()),
      true,
    );
    assert.equal(
      PgGroupCommit.accepts(sql`UPDATE t SET id = 'x' WHERE id = ${"y"}`.compile(db)),
      false,
    );
    assert.equal(
      PgGroupCommit.accepts(
        db.insertInto("t").values({ id: "z", used: null }).returning("id").compile(),
      ),
      false,
    );
  });
});
