// Start-up to the first answer of /health, the way a user starts the service:
// `npm start` (npm's prestart hook included) from this checkout, and, beside
// it, `node dist/cli.js serve` (what a process manager runs). The schema is
// migrated before the timed starts, so they measure start-up, not migrations.
// Usage: node --import tsx bench/startup.ts [--starts 5]
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CLI, fmt, median, tempDir } from "./lib.js";

const ROOT = join(CLI, "..", "..");
const PORT = 5995;
const { values } = parseArgs({ options: { starts: { type: "string" } } });
const starts = Number(values.starts ?? 5);
const folder = tempDir();
const env = {
  ...process.env,
  DATABASE_URL: `sqlite:${join(folder.dir, "startup.db")}`,
  HOST: "127.0.0.1",
  PORT: String(PORT),
  LOG_LEVEL: "warn",
};

const ways: Array<[string, string, string[]]> = [
  ["npm start", "npm", ["start"]],
  ["node dist/cli.js serve", process.execPath, [CLI, "serve"]],
];

/** Milliseconds from the spawn to the first 200 from /health; the whole process group is stopped after. */
async function timeOneStart(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  // Its own process group: npm does not pass SIGTERM on to the server it started.
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: "ignore" });
  try {
    await firstHealthAnswer(child);
    return performance.now() - started;
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    await exited;
    await portFree();
  }
}

async function firstHealthAnswer(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("no answer within 20 s");
}

/** npm's child server drains after npm itself exits: wait until the port stops answering. */
async function portFree(): Promise<void> {
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${PORT}/health`);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

spawnSync(process.execPath, [CLI, "migrate"], { env, stdio: "ignore" });
for (const [name, command, args] of ways) {
  const times: number[] = [];
  for (let i = 0; i < starts; i++) times.push(await timeOneStart(command, args));
  console.log(
    `${name}: start-up to first answer, ${starts} starts: median ${fmt(median(times))} ms, all ${times.map((ms) => fmt(ms)).join(", ")}`,
  );
}
folder.remove();
