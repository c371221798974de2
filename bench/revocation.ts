// How long another instance keeps accepting a session after one instance
// answered that it ended: two `auth-service serve` processes over one
// PostgreSQL database, each with its session cache. Each round logs in
// through A, has B look the session up twice (so B holds it in memory),
// logs out through A, then asks B for /profile in a loop until B answers 403;
// the delay runs from A's logout answer to B's first 403, so it includes the
// round trips of the loop (at least one request to B, ~1-2 ms here): an upper
// bound. "B's first answer refused" counts the rounds where B refused the
// very first request sent after A's answer. A is asked too, once, after B:
// it must refuse at once.
// Usage: npm run build && node --import tsx bench/revocation.ts [--rounds 200]

import { parseArgs } from "node:util";
import { fmt, postgresDatabase, startService } from "./lib.js";

const { values } = parseArgs({ options: { rounds: { type: "string" } } });
const rounds = Number(values.rounds ?? 200);

const postgres = await postgresDatabase();
if (!postgres) throw new Error("PostgreSQL does not answer (BENCH_POSTGRES_URL)");
const env = { DATABASE_URL: postgres.url, BCRYPT_COST: "4", LOG_LEVEL: "warn" };
const a = await startService({ ...env, PORT: "6101" });
const b = await startService({ ...env, PORT: "6102" });

const body = new URLSearchParams({ email: "revoke@example.com", password: "bench-password" });
await fetch(`${a.url}/users`, { method: "POST", body });

const delays: number[] = [];
let staleOnA = 0;
let firstRefused = 0;
for (let round = 0; round < rounds; round++) {
  const login = await fetch(`${a.url}/sessions`, { method: "POST", body });
  const cookie = login.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  for (let i = 0; i < 2; i++) {
    const seen = await fetch(`${b.url}/profile`, { headers: { cookie } });
    if (seen.status !== 200) throw new Error(`B refused a live session: ${seen.status}`);
  }
  const logout = await fetch(`${a.url}/sessions`, {
    method: "DELETE",
    headers: { cookie },
    redirect: "manual",
  });
  const answered = performance.now();
  if (logout.status !== 303) throw new Error(`logout: ${logout.status}`);
  for (let poll = 0; ; poll++) {
    const status = (await fetch(`${b.url}/profile`, { headers: { cookie } })).status;
    if (status === 403) {
      if (poll === 0) firstRefused++;
      break;
    }
    if (performance.now() - answered > 5000) throw new Error("B accepted it for 5 s");
  }
  delays.push(performance.now() - answered);
  if ((await fetch(`${a.url}/profile`, { headers: { cookie } })).status !== 403) staleOnA++;
}
await a.stop();
await b.stop();
await postgres.drop();

delays.sort((x, y) => x - y);
const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? 0;
console.log(
  `${rounds} revocations through A, B polled until it refused, ${new Date().toISOString()}`,
);
console.log(
  "| p50 ms | p90 ms | p99 ms | max ms | B's first answer refused | A accepted after its answer |",
);
console.log("|---|---|---|---|---|---|");
console.log(
  `| ${fmt(at(0.5), 2)} | ${fmt(at(0.9), 2)} | ${fmt(at(0.99), 2)} | ${fmt(delays.at(-1) ?? 0, 2)} | ${firstRefused} of ${rounds} | ${staleOnA} times |`,
);
