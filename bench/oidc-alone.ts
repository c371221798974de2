// oidc-provider alone, in memory, in this one process (its development
// adapter, no database, no service around it): refresh grants (ES256 and
// RS256 ID tokens) and client-credentials grants per second and per CPU
// second of this process. The ceiling of what any service built on it can
// reach per process; bench/oidc.ts measures the service.
// Usage: node --import tsx bench/oidc-alone.ts [--runs 3] [--seconds 5]
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import Provider from "oidc-provider";
import { fmt, median, refreshScript, tempDir, wrkAsync } from "./lib.js";

const { values } = parseArgs({
  options: { runs: { type: "string" }, seconds: { type: "string" } },
});
const runs = Number(values.runs ?? 3);
const seconds = Number(values.seconds ?? 5);
/** Refresh chains in flight at once, as bench/oidc.ts. */
const CONNECTIONS = 32;
const folder = tempDir();

const key = (type: "rsa" | "ec") =>
  (type === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 })
    : generateKeyPairSync("ec", { namedCurve: "P-256" })
  ).privateKey.export({ format: "jwk" });
const clients = (["RS256", "ES256"] as const).map((alg) => ({
  client_id: alg,
  client_secret: "secret",
  redirect_uris: ["http://rp.test/callback"],
  grant_types: ["authorization_code", "refresh_token", "client_credentials"],
  id_token_signed_response_alg: alg,
}));
const provider = new Provider("http://127.0.0.1", {
  clients,
  jwks: {
    keys: [
      { ...key("rsa"), alg: "RS256", kid: "rs" },
      { ...key("ec"), alg: "ES256", kid: "es" },
    ] as never,
  },
  scopes: ["openid", "email", "offline_access"],
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    IdToken: 3600,
    RefreshToken: 86400,
    Grant: 86400,
  },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
});
const server = provider.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const basicOf = (clientId: string) => Buffer.from(`${clientId}:secret`).toString("base64");

/** Refresh tokens of new grants, made through the provider's own models (no code flow needed). */
async function refreshTokens(clientId: string, count: number): Promise<string[]> {
  const client = await provider.Client.find(clientId);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const grant = new provider.Grant({ accountId: `account-${i}`, clientId });
    grant.addOIDCScope("openid email offline_access");
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId: `account-${i}`,
      client,
      grantId,
      scope: "openid email offline_access",
      gty: "authorization_code",
      authTime: Math.floor(Date.now() / 1000),
    } as never);
    tokens.push(await token.save());
  }
  return tokens;
}

/** Runs one load and counts this process's CPU meanwhile: [per second, per CPU second]. */
async function measured(load: () => ReturnType<typeof wrkAsync>): Promise<[number, number]> {
  const before = process.cpuUsage();
  const result = await load();
  const used = process.cpuUsage(before);
  if (result.errors) throw new Error(`${result.errors} failed answers`);
  return [result.rps, result.total / ((used.user + used.system) / 1e6)];
}

const rows: [string, number, number][] = [];
for (const alg of ["ES256", "RS256"]) {
  const all: [number, number][] = [];
  for (let run = 0; run <= runs; run++) {
    const file = `${folder.dir}/tokens-${alg}-${run}.txt`;
    writeFileSync(file, `${(await refreshTokens(alg, CONNECTIONS + 2)).join("\n")}\n`);
    const script = refreshScript(folder.dir, "/token", basicOf(alg), file, 2);
    const once = await measured(() =>
      wrkAsync(`${base}/token`, { seconds, connections: CONNECTIONS, script, allowErrors: true }),
    );
    if (run > 0) all.push(once); // the first is a warm-up
  }
  rows.push([
    `refresh grants (${alg} ID tokens)`,
    median(all.map((r) => r[0])),
    median(all.map((r) => r[1])),
  ]);
}
const cc = `${folder.dir}/cc.lua`;
writeFileSync(
  cc,
  [
    `wrk.method = "POST"`,
    `wrk.body = "grant_type=client_credentials"`,
    `wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"`,
    `wrk.headers["Authorization"] = "Basic ${basicOf("ES256")}"`,
    "",
  ].join("\n"),
);
const ccRuns: [number, number][] = [];
for (let run = 0; run <= runs; run++) {
  const once = await measured(() => wrkAsync(`${base}/token`, { seconds, script: cc }));
  if (run > 0) ccRuns.push(once);
}
rows.push([
  "client_credentials grants",
  median(ccRuns.map((r) => r[0])),
  median(ccRuns.map((r) => r[1])),
]);
server.close();
folder.remove();

console.log(
  `oidc-provider alone, in memory, one process; wrk -t2 (refresh -c${CONNECTIONS}, else -c64) -d${seconds}s, median of ${runs} runs, ${new Date().toISOString()}`,
);
console.log("| what | per second | per CPU second of the process |");
console.log("|---|---|---|");
for (const [what, rps, perCpu] of rows)
  console.log(`| ${what} | **${fmt(rps)}** | ${fmt(perCpu)} |`);
process.exit(0);
