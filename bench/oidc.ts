// The OpenID provider's throughput: client-credentials grants, refresh grants,
// introspections, userinfo and JWKS per second, on one process and with
// --workers 2, over SQLite and PostgreSQL, against bare Fastify measured in
// the same run (medians of runs).
// Usage: npm run build && node --import tsx bench/oidc.ts [--runs 3] [--seconds 8]
//   [--only refresh] [--db sqlite|postgres] [--workers 1] [--cpu-prof DIR]
// (--only picks measurements whose name contains the word; --cpu-prof writes
// the server's V8 CPU profiles to DIR.) Besides requests per second, each row
// gives requests per CPU second of the service's processes, which depends
// far less on what else loads the machine.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as client from "openid-client";
import {
  type CookieJar,
  codeFlowStart,
  followAuthorization,
  serviceLogin,
} from "../test/capabilities/oidc-provider/helpers.js";
import { freePort } from "../test/helpers/webhook-receiver.js";
import {
  CLI,
  fmt,
  type LoadResult,
  medianRun,
  postgresDatabase,
  refreshScript,
  startScript,
  startService,
  tempDir,
  treeCpuSeconds,
  wrk,
} from "./lib.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    seconds: { type: "string" },
    only: { type: "string" },
    db: { type: "string" },
    workers: { type: "string" },
    "cpu-prof": { type: "string" },
  },
});
const runs = Number(values.runs ?? 3);
const seconds = Number(values.seconds ?? 8);
// A port the system leaves free now: other people's benchmarks run on this machine too.
const PORT = await freePort();
const SECRET_KEY = "e".repeat(64);
const PASSWORD = "bench-password";
/** Refresh chains in flight at once (each wrk connection holds one). */
const REFRESH_CONNECTIONS = 32;
/** wrk asks each thread's script for one request more than it sends: a spare token per thread. */
const REFRESH_TOKENS_PER_RUN = REFRESH_CONNECTIONS + 2;
const folder = tempDir();

/** A wrk script posting a fixed form with HTTP Basic client authentication. */
function formScript(name: string, basic: string, body: string): string {
  const path = join(folder.dir, `${name}.lua`);
  writeFileSync(
    path,
    [
      `wrk.method = "POST"`,
      `wrk.body = "${body}"`,
      `wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"`,
      `wrk.headers["Authorization"] = "Basic ${basic}"`,
      "",
    ].join("\n"),
  );
  return path;
}

/** Registers the benchmark's client with the CLI (the database migrated by it). */
function createClient(
  env: Record<string, string>,
  extra: string[] = [],
): { id: string; secret: string } {
  const out = execFileSync(
    process.execPath,
    [
      CLI,
      "client",
      "create",
      "--name",
      "bench",
      "--redirect-uri",
      "http://rp.test/callback",
      "--first-party",
      "--grant",
      "client_credentials",
      ...extra,
    ],
    { env: { ...process.env, ...env }, encoding: "utf8" },
  );
  return {
    id: /client_id: (\S+)/.exec(out)?.[1] ?? "",
    secret: /client_secret: (\S+)/.exec(out)?.[1] ?? "",
  };
}

interface Row {
  what: string;
  database: string;
  workers: number;
  result: LoadResult;
}

/** A client's Basic credentials and openid-client configuration. */
async function clientOf(made: { id: string; secret: string }, base: string) {
  return {
    basic: Buffer.from(`${made.id}:${made.secret}`).toString("base64"),
    config: await client.discovery(new URL(base), made.id, made.secret, undefined, {
      execute: [client.allowInsecureRequests],
    }),
  };
}

/** Refresh tokens (one code flow each) for the user, and the last flow's access token. */
async function codeFlows(
  base: string,
  config: client.Configuration,
  email: string,
  count: number,
): Promise<{ refreshTokens: string[]; accessToken: string }> {
  const refreshTokens: string[] = [];
  let accessToken = "";
  for (let i = 0; i < count; i++) {
    const jar: CookieJar = new Map();
    await serviceLogin(base, jar, email, PASSWORD);
    const { url, checks } = await codeFlowStart(config);
    const tokens = await client.authorizationCodeGrant(
      config,
      await followAuthorization(url, jar),
      checks,
    );
    refreshTokens.push(tokens.refresh_token ?? "");
    accessToken = tokens.access_token;
  }
  return { refreshTokens, accessToken };
}

async function measure(database: { name: string; url: string }, workers: number): Promise<Row[]> {
  const env = { DATABASE_URL: database.url, SECRET_KEY, BCRYPT_COST: "4" };
  // RS256 ID tokens, the default; and a client that chose ES256 (client create --id-token-alg).
  const rsMade = createClient(env);
  const esMade = createClient(env, ["--id-token-alg", "ES256"]);
  const profile: Record<string, string> = values["cpu-prof"]
    ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values["cpu-prof"]}` }
    : {};
  const service = await startService({ ...env, ...profile, PORT: String(PORT) }, [
    "--workers",
    String(workers),
  ]);
  const rows: Row[] = [];
  try {
    const base = `http://localhost:${PORT}`;
    const rs = await clientOf(rsMade, base);
    const es = await clientOf(esMade, base);
    const email = `bench-${workers}@example.com`;
    await fetch(`${base}/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const wanted = (what: string) => !values.only || what.includes(values.only);
    const flows = REFRESH_TOKENS_PER_RUN * (runs + 1);
    const RS_REFRESH = "refresh grants (RS256 ID tokens)";
    const ES_REFRESH = "refresh grants (ES256 ID tokens)";
    const rsFlows = await codeFlows(base, rs.config, email, wanted(RS_REFRESH) ? flows : 1);
    const esFlows = await codeFlows(base, es.config, email, wanted(ES_REFRESH) ? flows : 0);
    const target = `http://127.0.0.1:${PORT}`;
    const cc = formScript("cc", rs.basic, "grant_type=client_credentials");
    const ccToken = (await client.clientCredentialsGrant(rs.config, {})).access_token;
    const introspect = formScript("introspect", rs.basic, `token=${ccToken}`);
    const servicePid = service.child.pid as number;
    const load = (what: string, measureOnce: () => LoadResult) => {
      if (!wanted(what)) return;
      measureOnce(); // warm-up (shorter runs would do; one run is simplest)
      const withCpu = (): LoadResult => {
        const before = treeCpuSeconds(servicePid);
        const result = measureOnce();
        return { ...result, serviceCpuSeconds: treeCpuSeconds(servicePid) - before };
      };
      rows.push({ what, database: database.name, workers, result: medianRun(runs, withCpu) });
    };
    load("client_credentials grants", () =>
      wrk(`${target}/oidc/token`, { seconds, script: cc, allowErrors: true }),
    );
    // Each run spends its own chains: a new file of unused tokens per run.
    let chain = 0;
    const refreshes = (basic: string, refreshTokens: string[]) => () => {
      const file = join(folder.dir, `tokens-${chain}.txt`);
      const offset = chain % (runs + 1);
      const slice = refreshTokens.slice(
        offset * REFRESH_TOKENS_PER_RUN,
        (offset + 1) * REFRESH_TOKENS_PER_RUN,
      );
      chain++;
      writeFileSync(file, `${slice.join("\n")}\n`);
      return wrk(`${target}/oidc/token`, {
        seconds,
        connections: REFRESH_CONNECTIONS,
        script: refreshScript(folder.dir, "/oidc/token", basic, file, 2),
        allowErrors: true,
      });
    };
    load(RS_REFRESH, refreshes(rs.basic, rsFlows.refreshTokens));
    chain = 0;
    load(ES_REFRESH, refreshes(es.basic, esFlows.refreshTokens));
    const accessToken = rsFlows.accessToken;
    load("introspections", () =>
      wrk(`${target}/oidc/token/introspection`, { seconds, script: introspect, allowErrors: true }),
    );
    load("userinfo", () =>
      wrk(`${target}/oidc/me`, {
        seconds,
        headers: [`Authorization: Bearer ${accessToken}`],
        allowErrors: true,
      }),
    );
    load("JWKS", () => wrk(`${target}/oidc/jwks`, { seconds, allowErrors: true }));
  } finally {
    await service.stop();
  }
  return rows;
}

const baseline = await startScript(
  new URL("./baseline-fastify.ts", import.meta.url).pathname,
  await freePort(),
);
wrk(`${baseline.url}/`, { seconds: 2 });
const bare = medianRun(runs, () => wrk(`${baseline.url}/`, { seconds }));
await baseline.stop();

const postgres = await postgresDatabase();
const rows: Row[] = [];
try {
  for (const workers of values.workers ? [Number(values.workers)] : [1, 2]) {
    if (values.db !== "postgres")
      rows.push(
        ...(await measure(
          { name: "SQLite", url: `sqlite:${join(folder.dir, `oidc-${workers}.db`)}` },
          workers,
        )),
      );
    if (postgres && values.db !== "sqlite")
      rows.push(...(await measure({ name: "PostgreSQL", url: postgres.url }, workers)));
  }
} finally {
  await postgres?.drop();
  folder.remove();
}

console.log(
  `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg()
    .map((load) => fmt(load, 1))
    .join(
      " ",
    )} at the end; wrk -t2 -c64 (refresh: -c${REFRESH_CONNECTIONS}) -d${seconds}s, median of ${runs} runs, ${new Date().toISOString()}`,
);
console.log(`bare Fastify GET /: ${fmt(bare.rps)} req/s`);
console.log(
  "| what | database | workers | per second | per CPU second of the service | p50 ms | p99 ms | vs bare Fastify | failed |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const { what, database, workers, result } of rows) {
  // The service's own processes (PostgreSQL's backends not included): load-independent, unlike per second.
  const perCpuSecond = result.serviceCpuSeconds ? result.total / result.serviceCpuSeconds : 0;
  console.log(
    `| ${what} | ${database} | ${workers} | **${fmt(result.rps)}** | ${fmt(perCpuSecond)} | ${fmt(result.p50, 2)} | ${fmt(result.p99, 2)} | ${fmt(result.rps / bare.rps, 2)} | ${fmt(result.errors)} |`,
  );
}
