// Shared helpers of the benchmarks: start the real service (compiled dist/) as a
// child process, drive it with wrk, and summarize runs by their median.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const CLI = join(ROOT, "dist", "cli.js");

export interface Service {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A command line, run on one CPU when `cpu` is given (taskset execs the
 * command, so the pid stays the command's).
 */
function onCpu(command: string, args: string[], cpu?: number): [string, string[]] {
  if (cpu === undefined) return [command, args];
  return ["taskset", ["-c", String(cpu), command, ...args]];
}

/** Starts `auth-service serve` (dist/) and resolves once it answers /health. */
export function startService(
  env: Record<string, string>,
  args: string[] = [],
  cpu?: number,
): Promise<Service> {
  const child = spawn(...onCpu(process.execPath, [CLI, "serve", ...args], cpu), {
    env: { ...process.env, HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return serviceOf(child, Number(env.PORT));
}

/** Starts a script (e.g. the bare Fastify baseline) with PORT set, waits for /health. */
export function startScript(script: string, port: number, cpu?: number): Promise<Service> {
  const child = spawn(...onCpu(process.execPath, ["--import", "tsx", script], cpu), {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return serviceOf(child, port);
}

async function serviceOf(child: ChildProcess, port: number): Promise<Service> {
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child);
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not come up`);
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Responses with a status outside 2xx/3xx (only when allowErrors). */
  errors: number;
  /** Requests completed. */
  total: number;
  /** CPU seconds the service (its processes) used during the run, when measured. */
  serviceCpuSeconds?: number;
}

/** wrk -t2 -c64 (unless told otherwise) against one URL; latencies in ms. */
export function wrk(url: string, options: WrkOptions = {}): LoadResult {
  const output = execFileSync(...onCpu("wrk", wrkArgs(url, options), options.cpu), {
    encoding: "utf8",
  });
  return parseWrk(output, url, options);
}

/** The same as wrk(), without blocking, so two loads can run at once. */
export async function wrkAsync(url: string, options: WrkOptions = {}): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)("wrk", wrkArgs(url, options), { encoding: "utf8" });
  return parseWrk(stdout, url, options);
}

export interface WrkOptions {
  seconds?: number;
  connections?: number;
  threads?: number;
  headers?: string[];
  /** A Lua script (see postScript). */
  script?: string;
  /** Count non-2xx/3xx answers instead of failing on them. */
  allowErrors?: boolean;
  /** Run wrk on this CPU only (wrk() only). */
  cpu?: number;
}

function wrkArgs(url: string, options: WrkOptions): string[] {
  const { seconds = 10, connections = 64, threads = 2, headers = [], script } = options;
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency"];
  for (const header of headers) args.push("-H", header);
  if (script) args.push("-s", script);
  return [...args, url];
}

function parseWrk(output: string, url: string, options: WrkOptions): LoadResult {
  const percentile = (p: string) => toMs(new RegExp(`\\s${p}%\\s+([\\d.]+\\w+)`).exec(output)?.[1]);
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  if (errors && !options.allowErrors)
    throw new Error(`wrk saw ${errors} failed responses at ${url}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]),
    p50: percentile("50"),
    p99: percentile("99"),
    errors,
    total: Number(/(\d+) requests in/.exec(output)?.[1] ?? 0),
  };
}

/**
 * A wrk script that refreshes at `path` with HTTP Basic client
 * authentication: each thread takes its share of the refresh tokens from a
 * file and sends each one once, putting the rotated token the answer carries
 * back in its queue (a token is never sent twice, so no request loses a race
 * and revokes its grant).
 */
export function refreshScript(
  dir: string,
  path: string,
  basic: string,
  tokensFile: string,
  threads: number,
): string {
  const script = join(dir, "refresh.lua");
  writeFileSync(
    script,
    `local counter = 0
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end
local queue = {}
function init(args)
  local n = 0
  for line in io.lines("${tokensFile}") do
    if n % ${threads} == index then table.insert(queue, line) end
    n = n + 1
  end
end
function request()
  local token = table.remove(queue, 1) or "spent"
  return wrk.format("POST", "${path}", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic ${basic}",
  }, "grant_type=refresh_token&refresh_token=" .. token)
end
function response(status, headers, body)
  local token = body:match('"refresh_token":"([^"]+)"')
  if token then table.insert(queue, token) end
end
`,
  );
  return script;
}

/**
 * A wrk Lua script that POSTs a form body, written to a temporary file. With
 * `delayMs`, each connection waits that long between requests, so the offered
 * rate is bounded (about connections x 1000 / delayMs per second) instead of
 * wrk's closed loop, where every answer triggers the next request at once.
 */
export function postScript(dir: string, body: Record<string, string>, delayMs?: number): string {
  const path = join(dir, `post-${delayMs ?? 0}.lua`);
  const encoded = new URLSearchParams(body).toString();
  const lines = [
    `wrk.method = "POST"`,
    `wrk.body = "${encoded}"`,
    `wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"`,
  ];
  if (delayMs) lines.push(`function delay() return ${delayMs} end`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

function toMs(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text ?? "");
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Runs `measure` `runs` times and returns the run with the median rps, plus all rps values. */
export function medianRun(runs: number, measure: () => LoadResult): LoadResult & { all: number[] } {
  const results = Array.from({ length: runs }, measure);
  const all = results.map((result) => result.rps);
  const mid = median(all);
  const chosen = results.reduce((best, result) =>
    Math.abs(result.rps - mid) < Math.abs(best.rps - mid) ? result : best,
  );
  return { ...chosen, rps: mid, all };
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "auth-bench-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Registers a user and returns a `Cookie:` header of a fresh session. */
export async function sessionCookie(url: string, email = "bench@example.com"): Promise<string> {
  const body = new URLSearchParams({ email, password: "bench-password" });
  await fetch(`${url}/users`, { method: "POST", body });
  const login = await fetch(`${url}/sessions`, { method: "POST", body });
  const cookie = login.headers.getSetCookie()[0]?.split(";")[0];
  if (login.status !== 200 || !cookie) throw new Error(`login failed: ${login.status}`);
  return `Cookie: ${cookie}`;
}

export function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** A process's command name, parent and CPU time so far (user + system, clock ticks), from /proc. */
function processTicks(pid: number | string): { command: string; parent: number; ticks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  // ppid, utime and stime are fields 4, 14 and 15 of stat: indexes 1, 11
  // and 12 of what follows the command.
  return {
    command: stat.slice(stat.indexOf("(") + 1, close),
    parent: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

/** Clock ticks per second in /proc's CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds (all threads, user + system) a process has used so far. */
export function cpuSecondsOf(pid: number): number {
  return processTicks(pid).ticks / USER_HZ;
}

/**
 * CPU seconds a process and all its descendants (a service's cluster
 * workers) have used so far; a descendant that already ended is not counted.
 */
export function treeCpuSeconds(pid: number): number {
  const processes = new Map<number, { parent: number; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      processes.set(Number(entry), processTicks(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  const inTree = (candidate: number): boolean => {
    for (
      let at: number | undefined = candidate;
      at !== undefined && at > 1;
      at = processes.get(at)?.parent
    )
      if (at === pid) return true;
    return false;
  };
  let ticks = 0;
  for (const [candidate, stat] of processes) if (inTree(candidate)) ticks += stat.ticks;
  return ticks / USER_HZ;
}

/** CPU time (clock ticks) used so far by all processes, summed by command name, from /proc. */
export function cpuTicksByCommand(): Map<string, number> {
  const totals = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { command, ticks } = processTicks(entry);
      totals.set(command, (totals.get(command) ?? 0) + ticks);
    } catch {
      // the process ended meanwhile
    }
  }
  return totals;
}

/** Busy and total clock ticks of the whole machine so far, from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** Share of the machine's CPU each command used between two snapshots taken `seconds` apart. */
export function cpuShares(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: number,
): Record<string, number> {
  const capacity = seconds * USER_HZ * availableParallelism();
  const shares: Record<string, number> = {};
  for (const [command, ticks] of after) {
    const used = ticks - (before.get(command) ?? 0);
    if (used > 0) shares[command] = used / capacity;
  }
  return shares;
}

const POSTGRES_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * A fresh PostgreSQL database for one benchmark (BENCH_POSTGRES_URL names the
 * server, the local one by default), dropped by `drop`; null when the server
 * does not answer.
 */
export async function postgresDatabase(): Promise<{
  url: string;
  drop: () => Promise<void>;
} | null> {
  const admin = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 2000,
  });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  const name = `auth_bench_${randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client(POSTGRES_ADMIN_URL);
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
