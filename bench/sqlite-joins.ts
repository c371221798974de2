// What a join that names a bound parameter in its WHERE costs over
// better-sqlite3, against the same lookup with the parameter inside a
// subquery: the service's own compiled lookups
// (src/core/store/session-lookup.ts, the OpenID provider's store.ts).
//
// SQLite's planner looks at such a parameter's value (is it 0 or 1?) and
// marks the statement to be prepared again once its bindings are cleared;
// better-sqlite3 clears them after every run, so the join is planned anew
// on every call. Both forms run on one migrated database file, alternating.
// Usage: node --import tsx bench/sqlite-joins.ts [--calls 20000] [--rounds 5]
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileAccountBySubject, type OidcDb } from "../src/capabilities/oidc-provider/store.js";
import { compileSessionByTokenHash } from "../src/core/store/session-lookup.js";
import { migratedConnection } from "../test/helpers/migrated.js";
import { fmt, median, tempDir } from "./lib.js";

const { values } = parseArgs({
  options: { calls: { type: "string" }, rounds: { type: "string" } },
});
const calls = Number(values.calls ?? 20_000);
const rounds = Number(values.rounds ?? 5);

const folder = tempDir();
const connection = await migratedConnection(`sqlite:${join(folder.dir, "joins.db")}`);
const sqlite = connection.sqlite;
if (!sqlite) throw new Error("not SQLite");

const now = Date.now();
for (let i = 1; i <= 1000; i++) {
  sqlite
    .prepare(
      "INSERT INTO users (email, email_normalized, hashed_password, created_at, updated_at) VALUES (?, ?, 'x', ?, ?)",
    )
    .run(`u${i}@example.com`, `u${i}@example.com`, now, now);
  sqlite.prepare("INSERT INTO oidc_subjects (user_id, sub) VALUES (?, ?)").run(i, `sub-${i}`);
  sqlite
    .prepare(
      "INSERT INTO sessions (public_id, token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, '127.0.0.1', 'bench')",
    )
    .run(`p-${i}`, `h-${i}`, i, now, now, now + 3_600_000);
}

// The join each lookup was, beside the form the service compiles now.
const lookups = [
  {
    what: "session by token hash",
    argument: (i: number) => `h-${i}`,
    join: `SELECT s.id, s.public_id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.ip,
      s.user_agent, u.email, u.created_at AS user_created_at, u.updated_at, u.email_verified_at
      FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`,
    subquery: compileSessionByTokenHash(connection.db).sql,
  },
  {
    what: "account by sub",
    argument: (i: number) => `sub-${i}`,
    join: `SELECT u.id, u.email, u.email_verified_at, s.sub, s.ended_at
      FROM oidc_subjects s JOIN users u ON u.id = s.user_id WHERE s.sub = ?`,
    subquery: compileAccountBySubject(connection.db as unknown as OidcDb).sql,
  },
];

/** Microseconds a call, over `calls` calls of the statement on distinct rows. */
function microsPerCall(sql: string, argument: (i: number) => string): number {
  const statement = sqlite?.prepare(sql) as ReturnType<NonNullable<typeof sqlite>["prepare"]>;
  const start = process.hrtime.bigint();
  for (let call = 0; call < calls; call++) {
    if (!statement.get(argument((call % 1000) + 1))) throw new Error(`no row: ${sql}`);
  }
  return Number(process.hrtime.bigint() - start) / 1000 / calls;
}

console.log(`${calls} calls a round, median of ${rounds} rounds, ${new Date().toISOString()}`);
console.log("| lookup | join, us a call | subquery, us a call | join / subquery |");
console.log("|---|---|---|---|");
for (const { what, argument, join: joined, subquery } of lookups) {
  microsPerCall(joined, argument); // warm-up
  microsPerCall(subquery, argument);
  const joins: number[] = [];
  const subqueries: number[] = [];
  for (let round = 0; round < rounds; round++) {
    joins.push(microsPerCall(joined, argument));
    subqueries.push(microsPerCall(subquery, argument));
  }
  const [j, s] = [median(joins), median(subqueries)];
  console.log(`| ${what} | ${fmt(j, 1)} | ${fmt(s, 1)} | ${fmt(j / s, 2)} |`);
}
await connection.db.destroy();
folder.remove();
