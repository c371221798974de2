import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CLI, spawnServe, stopServers } from "./helpers/cli.js";
import { tempDir } from "./helpers/server.js";
import { TEST_SECRET_KEY } from "./helpers/smtp.js";

// `serve` logs readable lines (pino-pretty) in development on a terminal, and
// JSON lines in production or into a pipe. A terminal is a real pseudo-terminal
// here: util-linux's `script` runs the server with one as its output.

const SCRIPT = "/usr/bin/script";
const noTerminal = existsSync(SCRIPT)
  ? false
  : `no ${SCRIPT} (util-linux) to give serve a terminal`;
const TIMEOUT = { timeout: 60_000 };
/** The colour codes pino-pretty writes (ESC [ ... m). */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

interface TerminalServe {
  child: ChildProcess;
  /** Everything printed so far, colours removed. */
  output(): string;
  exited: Promise<unknown>;
}

/** `auth-service serve` with a terminal as its standard output and error. */
function serveOnTerminal(env: Record<string, string>): TerminalServe {
  const command = [process.execPath, "--import", "tsx", CLI, "serve"]
    .map((word) => `'${word}'`)
    .join(" ");
  const child = spawn(SCRIPT, ["--quiet", "--return", "--command", command, "/dev/null"], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["pipe", "pipe", "pipe"],
    // Its own process group, so that the server under `script` stops with it.
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return { child, output: () => output.replace(ANSI_COLOUR, ""), exited };
}

async function waitFor(serve: TerminalServe, pattern: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = pattern.exec(serve.output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${serve.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(serve: TerminalServe): Promise<void> {
  try {
    if (serve.child.pid !== undefined) process.kill(-serve.child.pid, "SIGTERM");
  } catch (error) {
    // The group is gone already (the server exited): nothing to stop.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
  await serve.exited;
}

test("development on a terminal: readable lines, not JSON", {
  ...TIMEOUT,
  skip: noTerminal,
}, async () => {
  const { dir, remove } = tempDir();
  const serve = serveOnTerminal({ DATABASE_URL: `sqlite:${join(dir, "pretty.db")}` });
  try {
    const port = (await waitFor(serve, /INFO \(\d+\): listening \{"port":(\d+),/))[1];
    await fetch(`http://127.0.0.1:${port}/nope`);
    await waitFor(serve, /INFO \(\d+\): request completed \{.*"method":"GET","path":"\/nope"/);
    assert.match(serve.output(), /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(\d+\): development mode: /m);
    assert.doesNotMatch(serve.output(), /"level":\d+/, "no JSON line");
  } finally {
    await stop(serve);
    remove();
  }
});

test("production on a terminal: JSON lines", { ...TIMEOUT, skip: noTerminal }, async () => {
  const { dir, remove } = tempDir();
  const serve = serveOnTerminal({
    AUTH_MODE: "production",
    DATABASE_URL: `sqlite:${join(dir, "json.db")}`,
    SMTP_URL: "smtp://127.0.0.1:2525", // need not answer for the server to start
    MAIL_FROM: "no-reply@example.test",
    PUBLIC_URL: "https://auth.example.test",
    SECRET_KEY: TEST_SECRET_KEY,
  });
  try {
    const line = (await waitFor(serve, /^\{"level":30,.*"msg":"listening"\}\r?$/m))[0];
    assert.equal(JSON.parse(line).mode, "production");
  } finally {
    await stop(serve);
    remove();
  }
});

test("development into a pipe: JSON lines", TIMEOUT, async () => {
  const { dir, remove } = tempDir();
  const server = await spawnServe({
    DATABASE_URL: `sqlite:${join(dir, "pipe.db")}`,
    LOG_LEVEL: "info",
  });
  try {
    const line = /^\{"level":30,.*"msg":"listening"\}$/m.exec(server.output())?.[0] ?? "";
    assert.equal(JSON.parse(line).mode, "development");
  } finally {
    await stopServers([server]);
    remove();
  }
});
