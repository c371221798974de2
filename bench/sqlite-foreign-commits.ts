// What another process's commits cost this process's SQLite reads: why a
// second worker adds little to refresh grants over SQLite.
//
// This process does what a worker does under refresh load: primary-key
// lookups of random token rows, then a commit of nine new rows, every 2 ms.
// It measures the lookups alone, then with a second process committing one
// tiny row to another table every millisecond, alternating. Nothing the
// second process writes is read here, but each of its commits changes the
// WAL-index header, and a connection that finds the header changed at the
// start of a read drops its whole page cache: the next lookups read their
// pages again from the file.
// Usage: node --import tsx bench/sqlite-foreign-commits.ts [--rounds 5] [--seconds 3]
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { connect } from "../src/platform/db/connect.js";
import { fmt, median, tempDir } from "./lib.js";

const { values, positionals } = parseArgs({
  options: { rounds: { type: "string" }, seconds: { type: "string" }, file: { type: "string" } },
  allowPositionals: true,
});

/** Opens the file the way the service does (WAL, synchronous NORMAL, its checkpoint size). */
function open(file: string) {
  const { sqlite, db } = connect({ url: `sqlite:${file}`, timeoutMs: 5000 });
  if (!sqlite) throw new Error("not SQLite");
  return { sqlite, db };
}

if (positionals[0] === "committer") {
  // The other process: one tiny row a millisecond, in a table the lookups never read.
  const { sqlite } = open(values.file as string);
  const tick = sqlite.prepare("INSERT INTO ticks (at) VALUES (?)");
  setInterval(() => tick.run(Date.now()), 1);
} else {
  const rounds = Number(values.rounds ?? 5);
  const seconds = Number(values.seconds ?? 3);
  const folder = tempDir();
  const file = join(folder.dir, "foreign.db");
  const { sqlite, db } = open(file);
  sqlite.exec(`CREATE TABLE tokens (model TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL,
    grant_id TEXT, expires_at BIGINT, PRIMARY KEY (model, id));
    CREATE INDEX tokens_grant_id ON tokens (grant_id) WHERE grant_id IS NOT NULL;
    CREATE TABLE ticks (id INTEGER PRIMARY KEY, at BIGINT)`);
  const newId = () => randomBytes(32).toString("base64url");
  const insert = sqlite.prepare(
    "INSERT INTO tokens (model, id, payload, grant_id, expires_at) VALUES (?, ?, ?, ?, ?)",
  );
  const find = sqlite.prepare("SELECT payload, expires_at FROM tokens WHERE model = ? AND id = ?");
  const payload = "x".repeat(900);
  const ids = Array.from({ length: 20_000 }, newId);
  sqlite.transaction(() => {
    for (const id of ids) insert.run("RefreshToken", id, payload, newId(), Date.now());
  })();
  const begin = sqlite.prepare("BEGIN IMMEDIATE");
  const commit = sqlite.prepare("COMMIT");

  /** Microseconds a lookup over `seconds`, with this process's own commits between. */
  async function microsPerLookup(): Promise<number> {
    let nanos = 0n;
    let lookups = 0;
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 18; i++)
        find.get("RefreshToken", ids[Math.floor(Math.random() * ids.length)]);
      nanos += process.hrtime.bigint() - start;
      lookups += 18;
      begin.run();
      for (let i = 0; i < 9; i++) insert.run("AccessToken", newId(), payload, newId(), Date.now());
      commit.run();
      await sleep(2);
    }
    return Number(nanos) / 1000 / lookups;
  }

  const alone: number[] = [];
  const beside: number[] = [];
  try {
    await microsPerLookup(); // warm-up
    for (let round = 0; round < rounds; round++) {
      alone.push(await microsPerLookup());
      const committer = fork(new URL(import.meta.url).pathname, ["committer", "--file", file], {
        execArgv: ["--import", "tsx"],
      });
      await sleep(1000); // its start-up (tsx) is not part of the measure
      beside.push(await microsPerLookup());
      committer.kill();
      await new Promise((resolve) => committer.once("exit", resolve));
    }
  } finally {
    await db.destroy();
    folder.remove();
  }
  console.log(`${rounds} rounds of ${seconds} s each way, medians, ${new Date().toISOString()}`);
  console.log("| lookups | us a lookup |");
  console.log("|---|---|");
  console.log(`| alone | ${fmt(median(alone), 1)} |`);
  console.log(`| another process committing every ms | ${fmt(median(beside), 1)} |`);
  console.log(`| ratio | ${fmt(median(beside) / median(alone), 2)} |`);
}
