// The hashing ceiling: password verifications per second with every core busy
// (concurrent calls queue on libuv's thread pool), per algorithm and cost.
// Usage: node --import tsx bench/hashing.ts [--seconds 5]
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { PasswordHasher } from "../src/core/password.js";
import { resolveAuthSettings } from "../src/core/settings.js";
import { fmt } from "./lib.js";

const { values } = parseArgs({ options: { seconds: { type: "string" } } });
const seconds = Number(values.seconds ?? 5);
const inFlight = availableParallelism() * 2;

const configurations = [
  { label: "bcrypt cost 12 (default)", settings: resolveAuthSettings({ bcryptCost: 12 }) },
  { label: "bcrypt cost 10", settings: resolveAuthSettings({ bcryptCost: 10 }) },
  {
    label: "argon2id m=19456 t=2 p=1",
    settings: resolveAuthSettings({ passwordHash: "argon2id" }),
  },
];

console.log(
  `${availableParallelism()} cores, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}, ${inFlight} verifications in flight, ${seconds} s each`,
);
console.log("| algorithm | verifications/s | ms per verification (one core) |");
console.log("|---|---|---|");
for (const { label, settings } of configurations) {
  const hasher = new PasswordHasher(settings);
  const hash = await hasher.hash("correct horse battery staple");
  // One alone, for the per-hash time; then the machine full, for the ceiling.
  const single = performance.now();
  await hasher.verify("correct horse battery staple", hash);
  const singleMs = performance.now() - single;
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await hasher.verify("correct horse battery staple", hash);
        done++;
      }
    }),
  );
  console.log(`| ${label} | ${fmt(done / seconds, 1)} | ${fmt(singleMs, 0)} |`);
}
