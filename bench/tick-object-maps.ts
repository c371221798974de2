// Does keeping one nextTick entry alive (src/platform/runtime/tick-object-maps.ts, done by
// `auth-service serve`) still pay on the Node release running this script?
// Fresh service processes (dist/) are started with and without it, in
// rotation. Each is warmed with wrk, left idle through six forced full
// collections (an idle spell), then measured on GET / (req/s, server CPU per
// request). Processes of one build differ a lot, so read the medians and the
// spread over many processes, not one.
// Usage: npm run build && node --import tsx bench/tick-object-maps.ts [--processes 8] [--seconds 5]
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuSecondsOf, fmt, median, tempDir, wrk } from "./lib.js";

const { values } = parseArgs({
  options: { processes: { type: "string" }, seconds: { type: "string" } },
});
const processes = Number(values.processes ?? 8);
const seconds = Number(values.seconds ?? 5);
const VARIANTS = [
  { label: "no kept entry", env: {} },
  { label: "kept nextTick entry", env: { TICK_MAPS: "1" } },
] as const;

interface Sample {
  rps: number;
  cpuMicros: number;
}

const folder = tempDir();
const SCRIPT = new URL("./serve-variant.ts", import.meta.url).pathname;

async function measureOne(env: Record<string, string>, index: number): Promise<Sample> {
  const port = 6100 + index;
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", SCRIPT], {
    env: {
      ...process.env,
      ...env,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      BCRYPT_COST: "4",
      DATABASE_URL: `sqlite:${join(folder.dir, `variant-${index}.db`)}`,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    return await loadAndMeasure(child.pid ?? 0, `http://127.0.0.1:${port}`);
  } finally {
    await new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
  }
}

async function loadAndMeasure(pid: number, url: string): Promise<Sample> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  wrk(`${url}/`, { seconds: 2 });
  process.kill(pid, "SIGUSR2");
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cpuBefore = cpuSecondsOf(pid);
  const result = wrk(`${url}/`, { seconds });
  return { rps: result.rps, cpuMicros: ((cpuSecondsOf(pid) - cpuBefore) * 1e6) / result.total };
}

const samples = new Map<string, Sample[]>(VARIANTS.map((variant) => [variant.label, []]));
for (let round = 0; round < processes; round++) {
  for (let i = 0; i < VARIANTS.length; i++) {
    const variant = VARIANTS[(round + i) % VARIANTS.length] as (typeof VARIANTS)[number];
    samples.get(variant.label)?.push(await measureOne(variant.env, round * VARIANTS.length + i));
  }
}
folder.remove();

console.log(
  `Node ${process.version}, GET /, wrk -t2 -c64 -d${seconds}s after a 2 s warm-up and six forced collections, ${processes} fresh processes per variant, ${new Date().toISOString()}`,
);
console.log("| variant | req/s median | req/s min-max | CPU us/request median |");
console.log("|---|---|---|---|");
for (const [label, list] of samples) {
  const rps = list.map((sample) => sample.rps);
  const cpu = median(list.map((sample) => sample.cpuMicros));
  console.log(
    `| ${label} | ${fmt(median(rps))} | ${fmt(Math.min(...rps))}-${fmt(Math.max(...rps))} | ${fmt(cpu, 1)} |`,
  );
}
