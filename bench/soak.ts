// Start-up time to the first answer (migrations already applied), and memory
// (RSS) through a long run of GET /profile: no leak means a flat line.
// Usage: npm run build && node --import tsx bench/soak.ts [--requests 1000000]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fmt, median, sessionCookie, startService, tempDir, wrkAsync } from "./lib.js";

const { values } = parseArgs({ options: { requests: { type: "string" } } });
const target = Number(values.requests ?? 1_000_000);
const folder = tempDir();
const env = {
  DATABASE_URL: `sqlite:${join(folder.dir, "soak.db")}`,
  PORT: "5993",
  BCRYPT_COST: "4",
};

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

// The first start creates the schema; start-up is measured on the ones after.
await (await startService(env)).stop();
const startups: number[] = [];
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  const service = await startService(env); // resolves on the first 200 from /health
  startups.push(performance.now() - started);
  await service.stop();
}

const service = await startService(env);
const pid = service.child.pid ?? 0;
const cookie = await sessionCookie(service.url);
const samples: Array<{ requests: number; rss: number }> = [{ requests: 0, rss: rssMiB(pid) }];
let served = 0;
while (served < target) {
  const result = await wrkAsync(`${service.url}/profile`, { seconds: 10, headers: [cookie] });
  served += result.total;
  samples.push({ requests: served, rss: rssMiB(pid) });
}
await service.stop();
folder.remove();

console.log(`${new Date().toISOString()}`);
console.log(
  `start-up to first answer (node dist/cli.js serve, 5 starts): median ${fmt(median(startups))} ms, all ${startups.map((ms) => fmt(ms)).join(", ")}`,
);
console.log(`RSS through ${fmt(served)} GET /profile requests (wrk -c64, 10 s slices):`);
console.log("| requests served | RSS MiB |");
console.log("|---|---|");
for (const sample of samples) console.log(`| ${fmt(sample.requests)} | ${fmt(sample.rss, 1)} |`);
console.log(`max RSS ${fmt(Math.max(...samples.map((sample) => sample.rss)), 1)} MiB`);
