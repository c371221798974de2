// Passkey sign-ins of two or more builds, loaded in alternation: each build's
// server runs (one process each, its own SQLite file or PostgreSQL database)
// and the 16 clients load one, then the next, in 1.5 s slices, the order
// reversed every round, so that a machine others load too weighs on every
// build alike. Per build: sign-ins/s while loaded, and server CPU per sign-in.
// A build is a folder holding dist/cli.js (e.g. `git archive <commit>` built
// with `npx tsc -p tsconfig.build.json`, node_modules linked in).
// Usage: npm run build && node --import tsx bench/passkeys-ab.ts [--db sqlite|postgres] [--rounds 10] <folder>...
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { SoftwareAuthenticator } from "../test/helpers/software-authenticator.js";
import { cpuSecondsOf, fmt, postgresDatabase, tempDir } from "./lib.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { db: { type: "string" }, rounds: { type: "string" } },
});
const postgres = values.db === "postgres";
const rounds = Number(values.rounds ?? 10);
const CLIENTS = 16;
const SLICE_MS = 1500;
if (positionals.length < 2) throw new Error("name two or more build folders");

interface Build {
  folder: string;
  url: string;
  child: ChildProcess;
  authenticators: SoftwareAuthenticator[];
  signIns: number;
  cpuSeconds: number;
  drop?: () => Promise<void>;
}

function post(url: string, body: unknown, cookie?: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
}

async function start(folder: string, port: number, files: string): Promise<Build> {
  const database = postgres ? await postgresDatabase() : null;
  const databaseUrl = database?.url ?? `sqlite:${join(files, `${port}.db`)}`;
  const child = spawn(process.execPath, [join(resolve(folder), "dist", "cli.js"), "serve"], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      LOGIN_IP_MAX_FAILURES: "0",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const up = await fetch(`${url}/health`).then(
      (answer) => answer.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const authenticators: SoftwareAuthenticator[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const user = { email: `ab${i}@example.com`, password: "bench-password" };
    await post(`${url}/users`, user);
    const login = await post(`${url}/sessions`, user);
    const cookie = login.headers.getSetCookie()[0]?.split(";")[0] ?? "";
    const asked = await post(`${url}/passkeys/registration/options`, {}, cookie);
    const authenticator = new SoftwareAuthenticator({ origin: `http://localhost:${port}` });
    const options = (await asked.json()) as PublicKeyCredentialCreationOptionsJSON;
    const added = await post(
      `${url}/passkeys/registration`,
      { response: authenticator.register(options) },
      cookie,
    );
    if (added.status !== 200) throw new Error(`${folder}: adding a passkey: ${added.status}`);
    authenticators.push(authenticator);
  }
  return { folder, url, child, authenticators, signIns: 0, cpuSeconds: 0, drop: database?.drop };
}

async function signIn(build: Build, client: number): Promise<void> {
  const asked = await post(`${build.url}/passkeys/authentication/options`, {});
  const options = (await asked.json()) as PublicKeyCredentialRequestOptionsJSON;
  const authenticator = build.authenticators[client] as SoftwareAuthenticator;
  const answer = await post(`${build.url}/passkeys/authentication`, {
    response: authenticator.assert(options),
  });
  await answer.arrayBuffer();
  if (answer.status !== 200) throw new Error(`${build.folder}: sign-in ${answer.status}`);
}

const files = tempDir();
const builds: Build[] = [];
try {
  for (const [index, folder] of positionals.entries())
    builds.push(await start(folder, 5970 + index, files.dir));
  // Warm-up: the JIT, the statement caches, the pool.
  for (const build of builds) for (let i = 0; i < 300; i++) await signIn(build, i % CLIENTS);
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      const pid = build.child.pid ?? 0;
      const before = cpuSecondsOf(pid);
      const end = performance.now() + SLICE_MS;
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          while (performance.now() < end) {
            await signIn(build, client);
            build.signIns++;
          }
        }),
      );
      build.cpuSeconds += cpuSecondsOf(pid) - before;
    }
  }
  console.log(
    `| build (${postgres ? "PostgreSQL" : "SQLite"}) | passkey sign-ins/s | server CPU per sign-in |`,
  );
  console.log("|---|---|---|");
  for (const build of builds) {
    const perSecond = build.signIns / ((rounds * SLICE_MS) / 1000);
    const cpuMs = (build.cpuSeconds * 1000) / build.signIns;
    console.log(`| ${build.folder} | ${fmt(perSecond)} | ${fmt(cpuMs, 2)} ms |`);
  }
} finally {
  for (const build of builds) {
    const exited = new Promise((resolve) => build.child.once("exit", resolve));
    build.child.kill("SIGTERM");
    await exited;
    await build.drop?.();
  }
  files.remove();
}
