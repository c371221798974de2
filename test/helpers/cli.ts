import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { format } from "node:util";

export const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

/** Runs `auth-service <args>` to completion from the TypeScript sources, `input` on its stdin. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string) {
  const result = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 30_000,
    input,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** runCli without blocking this process, so that several can run at once. */
export function runCliAsync(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", CLI, ...args],
      { env: { ...process.env, ...env }, encoding: "utf8", timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

/**
 * Runs one of the CLI's command functions (userCommand, auditCommand, ...)
 * in this process with `env` set, `input` as standard input and the console
 * captured: a fraction of a spawn's cost, for checks where the process
 * boundary (argv, exit status) is not the point. Not for concurrent use.
 */
export async function runCommandInProcess(
  command: (args: string[]) => Promise<number>,
  args: string[],
  env: Record<string, string> = {},
  input = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const savedEnv = Object.keys(env).map((name) => [name, process.env[name]] as const);
  const savedStdin = Object.getOwnPropertyDescriptor(process, "stdin");
  const { log, error } = console;
  let stdout = "";
  let stderr = "";
  Object.assign(process.env, env);
  Object.defineProperty(process, "stdin", {
    value: Readable.from([input]),
    configurable: true,
    enumerable: true,
  });
  console.log = (...values: unknown[]) => {
    stdout += `${format(...values)}\n`;
  };
  console.error = (...values: unknown[]) => {
    stderr += `${format(...values)}\n`;
  };
  try {
    return { code: await command(args), stdout, stderr };
  } finally {
    console.log = log;
    console.error = error;
    if (savedStdin) Object.defineProperty(process, "stdin", savedStdin);
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Waits for a spawned `serve` to log its "listening" line and returns its
 * port, and everything it prints (collected for as long as it runs). Rejects
 * with that output when it exits first or does not listen within `timeoutMs`.
 */
export async function listeningPort(
  child: ChildProcess,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<{ port: number; output: () => string }> {
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line in ${timeoutMs / 1000} s:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)[^\n]*"msg":"listening"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${JSON.stringify(code)}:\n${output}`));
    });
  });
  return { port, output: () => output };
}

/** The pids of the workers that logged "listening", in the order they did. */
export function listeningPids(output: string): number[] {
  return [...output.matchAll(/"pid":(\d+)[^\n]*"msg":"listening"/g)].map((match) =>
    Number(match[1]),
  );
}

/** Polls `condition` every 50 ms; rejects naming `what` after `ms`. */
export async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Starts `auth-service serve` on a free port and waits for its "listening" line. */
export async function spawnServe(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", ...args], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const { port, output } = await listeningPort(child, exited, 20_000);
    return { child, url: `http://127.0.0.1:${port}`, output, exited };
  } catch (error) {
    // A server too slow to start would otherwise go on starting, and its
    // open pipes would keep the test file from ever finishing.
    child.kill("SIGKILL");
    throw error;
  }
}

/**
 * Starts `count` servers at once. If one fails to start, the others are
 * stopped before the error is thrown: a server left running would keep the
 * test file from ever finishing.
 */
export async function spawnServers(
  env: Record<string, string>,
  count: number,
): Promise<ServeProcess[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => spawnServe(env)));
  const failure = started.find((result) => result.status === "rejected");
  if (!failure)
    return started.map((result) => (result as PromiseFulfilledResult<ServeProcess>).value);
  const servers = started.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );
  await stopServers(servers);
  throw failure.reason;
}

/** SIGTERM to each server, resolved once all have exited. */
export async function stopServers(servers: readonly ServeProcess[]): Promise<void> {
  for (const server of servers) server.child.kill("SIGTERM");
  await Promise.all(servers.map((server) => server.exited));
}
