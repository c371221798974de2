// Logins against the hashing ceiling, and GET /profile during a login storm,
// in one run. The ceiling is measured first, in this process, at the same
// cost the service then runs with.
// Usage: npm run build && node --import tsx bench/logins.ts [--seconds 10] [--cost 12]
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PasswordHasher } from "../src/core/password.js";
import { resolveAuthSettings } from "../src/core/settings.js";
import { fmt, postScript, sessionCookie, startService, tempDir, wrk, wrkAsync } from "./lib.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    cost: { type: "string" },
    "max-hashes": { type: "string" },
  },
});
const seconds = Number(values.seconds ?? 10);
const cost = Number(values.cost ?? 12);
const maxHashes = values["max-hashes"] ?? String(Math.max(2, availableParallelism()));
const password = "bench-password";

// 1. The ceiling: verifications per second with every core busy.
const hasher = new PasswordHasher(resolveAuthSettings({ bcryptCost: cost, hashQueueLimit: 1_000 }));
const hash = await hasher.hash(password);
let verified = 0;
const end = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: availableParallelism() * 2 }, async () => {
    while (performance.now() < end) {
      await hasher.verify(password, hash);
      verified++;
    }
  }),
);
const ceiling = verified / seconds;

// 2. Logins through the service, below the hash queue's limit.
const folder = tempDir();
const service = await startService({
  DATABASE_URL: `sqlite:${join(folder.dir, "logins.db")}`,
  PORT: "5992",
  BCRYPT_COST: String(cost),
  MAX_CONCURRENT_HASHES: maxHashes,
});
const cookie = await sessionCookie(service.url, "bench@example.com");
const login = postScript(folder.dir, { email: "bench@example.com", password });
const steady = wrk(`${service.url}/sessions`, {
  seconds,
  connections: 8,
  threads: 1,
  script: login,
});

/**
 * The server's own view of a storm, from /metrics: GET /profile's durations
 * (parse to answer, as histogram buckets) and the event loop's longest delay.
 * wrk's latencies also hold the time wrk itself waits for a core beside the
 * hashing threads; these do not.
 */
interface ServerView {
  /** Cumulative GET /profile 200 counts per bucket bound (seconds). */
  buckets: Map<number, number>;
  loopDelayMaxMs: number;
}
async function serverView(): Promise<ServerView> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const match of text.matchAll(
    /http_request_duration_seconds_bucket\{le="([^"]+)",method="GET",route="\/profile",status_code="200"\} (\d+)/g,
  )) {
    buckets.set(
      match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]),
      Number(match[2]),
    );
  }
  // prom-client resets the event-loop delay histogram at each scrape.
  const delay = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
  return { buckets, loopDelayMaxMs: Number(delay?.[1] ?? Number.NaN) * 1000 };
}
/** "p99 <= X ms, slowest <= Y ms" for the GET /profile answers between two views. */
function serverSide(before: ServerView, after: ServerView): string {
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const counts = bounds.map(
    (bound) => (after.buckets.get(bound) ?? 0) - (before.buckets.get(bound) ?? 0),
  );
  const total = counts.at(-1) ?? 0;
  const bound = (share: number) => {
    const index = counts.findIndex((count) => count >= total * share);
    return fmt((bounds[index] ?? Number.NaN) * 1000, 1);
  };
  return `server side: ${fmt(total)} answers, p99 <= ${bound(0.99)} ms, slowest <= ${bound(1)} ms; event loop delay max ${fmt(after.loopDelayMaxMs, 1)} ms`;
}

// 3. A storm: far more logins than the queue holds, and session reads beside it.
const stormBeside = async (script: string) => {
  const before = await serverView();
  const [logins, profiles] = await Promise.all([
    wrkAsync(`${service.url}/sessions`, {
      seconds,
      connections: 64,
      threads: 1,
      script,
      allowErrors: true,
    }),
    wrkAsync(`${service.url}/profile`, { seconds, connections: 16, threads: 1, headers: [cookie] }),
  ]);
  return [logins, profiles, serverSide(before, await serverView())] as const;
};
const [storm, profile, stormServer] = await stormBeside(login);
// 4. A paced storm: 64 clients each retrying every 50 ms (~1,280 logins/s
// offered, 100x what the machine can hash), as many real clients would.
const [pacedStorm, pacedProfile, pacedServer] = await stormBeside(
  postScript(folder.dir, { email: "bench@example.com", password }, 50),
);
await service.stop();
folder.remove();

const stormOk = (storm.total - storm.errors) / seconds;
console.log(
  `bcrypt cost ${cost}, ${availableParallelism()} cores, MAX_CONCURRENT_HASHES=${maxHashes}, ${seconds} s each, ${new Date().toISOString()}`,
);
console.log("| measurement | figure |");
console.log("|---|---|");
console.log(`| hashing ceiling (verifications/s, in process) | ${fmt(ceiling, 1)} |`);
console.log(
  `| logins/s through HTTP (wrk -c8) | ${fmt(steady.rps, 1)} (**${fmt(steady.rps / ceiling, 2)}x** the ceiling), p50 ${fmt(steady.p50)} ms, p99 ${fmt(steady.p99)} ms |`,
);
console.log(
  `| storm: logins answered 200/s (wrk -c64) | ${fmt(stormOk, 1)}; ${fmt(storm.errors)} refused with 503 + Retry-After |`,
);
console.log(
  `| storm: GET /profile beside it (wrk -c16) | ${fmt(profile.rps)} req/s, p50 ${fmt(profile.p50, 2)} ms, **p99 ${fmt(profile.p99, 2)} ms**; ${stormServer} |`,
);
console.log(
  `| paced storm: login attempts/s answered (64 clients, 50 ms apart) | ${fmt(pacedStorm.rps)}; ${fmt((pacedStorm.total - pacedStorm.errors) / seconds, 1)}/s logged in, ${fmt(pacedStorm.errors)} refused with 503 |`,
);
console.log(
  `| paced storm: GET /profile beside it (wrk -c16) | ${fmt(pacedProfile.rps)} req/s, p50 ${fmt(pacedProfile.p50, 2)} ms, **p99 ${fmt(pacedProfile.p99, 2)} ms**; ${pacedServer} |`,
);
