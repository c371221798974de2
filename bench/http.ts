// The hot path against bare Fastify, in one run: GET / and GET /profile of the
// real service (one process, SQLite, compiled dist/) and bare Fastify's hello,
// measured in alternation so that drift in the machine hits all of them.
// Usage: npm run build && node --import tsx bench/http.ts [--runs 5] [--seconds 5]

import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  fmt,
  type LoadResult,
  median,
  sessionCookie,
  startScript,
  startService,
  tempDir,
  wrk,
} from "./lib.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    seconds: { type: "string" },
    "log-level": { type: "string" },
  },
});
const runs = Number(values.runs ?? 5);
const seconds = Number(values.seconds ?? 5);
const logLevel = values["log-level"] ?? "warn";

const folder = tempDir();
const baseline = await startScript(
  new URL("./baseline-fastify.ts", import.meta.url).pathname,
  5990,
);
const service = await startService({
  DATABASE_URL: `sqlite:${join(folder.dir, "http.db")}`,
  PORT: "5991",
  BCRYPT_COST: "4",
  LOG_LEVEL: logLevel,
});
const cookie = await sessionCookie(service.url);

const targets: Array<{ label: string; url: string; headers?: string[] }> = [
  { label: "bare Fastify `GET /`", url: `${baseline.url}/` },
  { label: "service `GET /`", url: `${service.url}/` },
  { label: "service `GET /profile`", url: `${service.url}/profile`, headers: [cookie] },
];
for (const target of targets) wrk(target.url, { seconds: 2, headers: target.headers }); // warm-up
const results = new Map<string, LoadResult[]>(targets.map((target) => [target.label, []]));
for (let run = 0; run < runs; run++) {
  for (const target of targets) {
    results.get(target.label)?.push(wrk(target.url, { seconds, headers: target.headers }));
  }
}
await service.stop();
await baseline.stop();
folder.remove();

const bareRps = median(results.get(targets[0]?.label ?? "")?.map((result) => result.rps) ?? []);
console.log(
  `wrk -t2 -c64 -d${seconds}s, ${runs} alternating runs, medians, service LOG_LEVEL=${logLevel}, ${new Date().toISOString()}`,
);
console.log("| target | req/s | p50 ms | p99 ms | vs bare Fastify | runs (req/s) |");
console.log("|---|---|---|---|---|---|");
for (const [label, list] of results) {
  const rps = median(list.map((result) => result.rps));
  const p50 = median(list.map((result) => result.p50));
  const p99 = median(list.map((result) => result.p99));
  const all = list.map((result) => fmt(result.rps)).join(", ");
  console.log(
    `| ${label} | ${fmt(rps)} | ${fmt(p50, 2)} | ${fmt(p99, 2)} | ${fmt(rps / bareRps, 2)} | ${all} |`,
  );
}
