// The hot path against bare Fastify, in one run: GET / and GET /profile of the
// real service (one process, SQLite, compiled dist/) and bare Fastify's hello,
// measured in alternation (the order rotating from run to run) so that drift in
// the machine hits all of them. Besides req/s (which wrk, on the same cores,
// shares), it reports each server's own CPU time per request, all threads.
// Identical server processes differ by up to ~15% on these machines (the same
// build, the same seeds: it stays with the process), so each target is served
// by several processes, taken in turn, and the medians span them.
// With --pin, every server runs on the last CPU and wrk (one thread) on the
// first: no process migrates, and wrk never takes the server's core. It does
// not make these machines quiet (runs still spread by ~20%), so the medians
// and the same-run ratios stay what to read.
// With PostgreSQL reachable (BENCH_POSTGRES_URL, the local server by default),
// GET /profile is also measured over a fresh PostgreSQL database, with the
// session cache (the default) and without it (SESSION_CACHE=false).
// Usage: npm run build && node --import tsx bench/http.ts [--runs 6] [--seconds 5] [--processes 3] [--pin] [--no-postgres]

import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  cpuSecondsOf,
  fmt,
  type LoadResult,
  median,
  postgresDatabase,
  type Service,
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
    processes: { type: "string" },
    pin: { type: "boolean" },
    "no-postgres": { type: "boolean" },
  },
});
const runs = Number(values.runs ?? 6);
const processes = Number(values.processes ?? 3);
const seconds = Number(values.seconds ?? 5);
const logLevel = values["log-level"] ?? "warn";
const serverCpu = values.pin ? availableParallelism() - 1 : undefined;
/** wrk's settings besides seconds and headers: one thread on CPU 0 when pinned. */
const wrkPinning = values.pin ? { threads: 1, cpu: 0 } : {};

const folder = tempDir();
const postgres = values["no-postgres"] ? null : await postgresDatabase();
interface Target {
  label: string;
  url: string;
  pid: number;
  headers?: string[];
}
/** One list per target, each with one entry per process. */
const bare: Target[] = [];
const home: Target[] = [];
const profile: Target[] = [];
const postgresProfile: Target[] = [];
const postgresUncached: Target[] = [];
const servers: Service[] = [];
for (let index = 0; index < processes; index++) {
  const baseline = await startScript(
    new URL("./baseline-fastify.ts", import.meta.url).pathname,
    5990 + 2 * index,
    serverCpu,
  );
  const service = await startService(
    {
      DATABASE_URL: `sqlite:${join(folder.dir, `http-${index}.db`)}`,
      PORT: String(5991 + 2 * index),
      BCRYPT_COST: "4",
      LOG_LEVEL: logLevel,
    },
    [],
    serverCpu,
  );
  servers.push(baseline, service);
  const cookie = await sessionCookie(service.url);
  const servicePid = service.child.pid ?? 0;
  bare.push({
    label: "bare Fastify `GET /`",
    url: `${baseline.url}/`,
    pid: baseline.child.pid ?? 0,
  });
  home.push({ label: "service `GET /`", url: `${service.url}/`, pid: servicePid });
  profile.push({
    label: "service `GET /profile`",
    url: `${service.url}/profile`,
    pid: servicePid,
    headers: [cookie],
  });
  if (!postgres) continue;
  for (const [list, cache, port] of [
    [postgresProfile, "true", 6991 + 2 * index],
    [postgresUncached, "false", 6992 + 2 * index],
  ] as const) {
    const server = await startService(
      {
        DATABASE_URL: postgres.url,
        PORT: String(port),
        BCRYPT_COST: "4",
        LOG_LEVEL: logLevel,
        SESSION_CACHE: cache,
      },
      [],
      serverCpu,
    );
    servers.push(server);
    list.push({
      label:
        cache === "true"
          ? "service `GET /profile`, PostgreSQL"
          : "service `GET /profile`, PostgreSQL, `SESSION_CACHE=false`",
      url: `${server.url}/profile`,
      pid: server.child.pid ?? 0,
      headers: [await sessionCookie(server.url, `bench-${port}@example.com`)],
    });
  }
}
const targets = [bare, home, profile, postgresProfile, postgresUncached].filter(
  (list) => list.length > 0,
);
type Measured = LoadResult & { cpuMicros: number };
const measure = (target: Target, runSeconds: number): Measured => {
  const cpuBefore = cpuSecondsOf(target.pid);
  const result = wrk(target.url, {
    seconds: runSeconds,
    headers: target.headers,
    ...wrkPinning,
  });
  return { ...result, cpuMicros: ((cpuSecondsOf(target.pid) - cpuBefore) * 1e6) / result.total };
};
for (const target of targets.flat()) measure(target, 2); // warm-up
const results = new Map<string, Measured[]>(targets.map((list) => [list[0]?.label ?? "", []]));
for (let run = 0; run < runs; run++) {
  for (let i = 0; i < targets.length; i++) {
    const list = targets[(run + i) % targets.length] as Target[];
    const target = list[run % list.length] as Target;
    results.get(target.label)?.push(measure(target, seconds));
  }
}
for (const server of servers) await server.stop();
folder.remove();
await postgres?.drop();

const bareLabel = bare[0]?.label ?? "";
const bareRps = median(results.get(bareLabel)?.map((result) => result.rps) ?? []);
const load = values.pin
  ? `-t1 -c64 on CPU ${wrkPinning.cpu}, servers on CPU ${serverCpu},`
  : "-t2 -c64";
console.log(
  `wrk ${load} -d${seconds}s, ${runs} alternating runs over ${processes} processes per target, medians, service LOG_LEVEL=${logLevel}, ${new Date().toISOString()}`,
);
const bareCpu = median(results.get(bareLabel)?.map((result) => result.cpuMicros) ?? []);
console.log(
  "| target | req/s | p50 ms | p99 ms | vs bare Fastify | server CPU us/request | bare's CPU / this | runs (req/s) |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const [label, list] of results) {
  const rps = median(list.map((result) => result.rps));
  const p50 = median(list.map((result) => result.p50));
  const p99 = median(list.map((result) => result.p99));
  const cpu = median(list.map((result) => result.cpuMicros));
  const all = list.map((result) => fmt(result.rps)).join(", ");
  console.log(
    `| ${label} | ${fmt(rps)} | ${fmt(p50, 2)} | ${fmt(p99, 2)} | ${fmt(rps / bareRps, 2)} | ${fmt(cpu, 1)} | ${fmt(bareCpu / cpu, 2)} | ${all} |`,
  );
}
