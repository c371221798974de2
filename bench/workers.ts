// GET /profile throughput with 1 and 2 workers, on SQLite and PostgreSQL, in
// one run, against bare Fastify measured in the same run.
// Usage: npm run build && node --import tsx bench/workers.ts [--runs 3] [--seconds 10]
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  cpuShares,
  cpuTicksByCommand,
  fmt,
  machineTicks,
  medianRun,
  postgresDatabase,
  sessionCookie,
  startScript,
  startService,
  tempDir,
  wrk,
} from "./lib.js";

const { values } = parseArgs({
  options: { runs: { type: "string" }, seconds: { type: "string" } },
});
const runs = Number(values.runs ?? 3);
const seconds = Number(values.seconds ?? 10);
const rows: string[] = [];
const cpu: string[] = [];
const baseline = await startScript(
  new URL("./baseline-fastify.ts", import.meta.url).pathname,
  5990,
);
wrk(`${baseline.url}/`, { seconds: 2 });
const bare = medianRun(runs, () => wrk(`${baseline.url}/`, { seconds }));
await baseline.stop();
rows.push(
  `| bare Fastify \`GET /\` | - | 1 | ${fmt(bare.rps)} | ${fmt(bare.p50, 2)} | ${fmt(bare.p99, 2)} | 1.00 | |`,
);

const folder = tempDir();
const postgres = await postgresDatabase();
const databases = [
  { name: "SQLite", url: `sqlite:${join(folder.dir, "bench.db")}` },
  ...(postgres ? [{ name: "PostgreSQL", url: postgres.url }] : []),
];
for (const database of databases) {
  let single = 0;
  for (const workers of [1, 2]) {
    const service = await startService(
      { DATABASE_URL: database.url, PORT: "5991", BCRYPT_COST: "4", DATABASE_POOL_SIZE: "10" },
      ["--workers", String(workers)],
    );
    const cookie = await sessionCookie(service.url, `bench-${workers}@example.com`);
    wrk(`${service.url}/profile`, { seconds: 2, headers: [cookie] });
    const before = cpuTicksByCommand();
    const machineBefore = machineTicks();
    const started = performance.now();
    const result = medianRun(runs, () =>
      wrk(`${service.url}/profile`, { seconds, headers: [cookie] }),
    );
    const shares = cpuShares(before, cpuTicksByCommand(), (performance.now() - started) / 1000);
    const machineAfter = machineTicks();
    const busy =
      (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
    await service.stop();
    const share = (command: string) => `${fmt((shares[command] ?? 0) * 100)}%`;
    const other = Math.max(0, busy - (shares.node ?? 0) - (shares.postgres ?? 0));
    // Throughput per core the service actually got: flat when workers scale linearly.
    const perCore = result.rps / ((shares.node ?? 0) * availableParallelism());
    cpu.push(
      `| ${database.name} | ${workers} | ${share("node")} | ${share("postgres")} | ${fmt(other * 100)}% | ${fmt(busy * 100)}% | ${fmt(perCore)} |`,
    );
    if (workers === 1) single = result.rps;
    const scaling = workers === 2 ? `${fmt(result.rps / single, 2)}x` : "";
    rows.push(
      `| \`GET /profile\` | ${database.name} | ${workers} | ${fmt(result.rps)} | ${fmt(result.p50, 2)} | ${fmt(result.p99, 2)} | ${fmt(result.rps / bare.rps, 2)} | ${scaling} |`,
    );
  }
}
await postgres?.drop();
folder.remove();

console.log(
  `wrk -t2 -c64 -d${seconds}s, median of ${runs} runs, LOG_LEVEL=warn, ${new Date().toISOString()}`,
);
console.log(
  "| route | database | workers | req/s | p50 ms | p99 ms | vs bare Fastify | 2 vs 1 worker |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
console.log("");
console.log("Where the 2 cores went during the /profile runs (share of the whole machine):");
console.log(
  "| database | workers | node (service) | postgres | wrk, kernel, rest | machine busy | req/s per service core |",
);
console.log("|---|---|---|---|---|---|---|");
for (const row of cpu) console.log(row);
