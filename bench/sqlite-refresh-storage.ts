// What a refresh grant's storage costs over SQLite, and what each part of it
// is worth: the service's own stores (PayloadStore, KyselyAuditStore) on a
// file opened as the service opens it, 40,000 token rows of 32 grants, and
// refreshes in groups of ten a turn of the event loop (as under load), each
// consuming its refresh token, writing the new refresh and access tokens and
// the user's audit row. Variants, alternating, each on a fresh file:
// - as served;
// - without the partial index on grant_id (which revocation needs);
// - without the audit row;
// - with `synchronous = OFF` (not durable; only to show what waiting for the
//   checkpoint's fsyncs costs: wall time then equals CPU time).
// Usage: node --import tsx bench/sqlite-refresh-storage.ts [--rounds 3] [--groups 2000]
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { AuditEntry } from "../src/capabilities/audit/audit.js";
import { KyselyAuditStore } from "../src/capabilities/audit/kysely-store.js";
import { PayloadStore } from "../src/capabilities/oidc-provider/payload-store.js";
import type { OidcDb } from "../src/capabilities/oidc-provider/store.js";
import { migratedConnection } from "../test/helpers/migrated.js";
import { fmt, median, tempDir } from "./lib.js";

const { values } = parseArgs({
  options: { rounds: { type: "string" }, groups: { type: "string" } },
});
const rounds = Number(values.rounds ?? 3);
const groups = Number(values.groups ?? 2000);
const REFRESHES_A_GROUP = 10;
/** Groups written before measuring: 2 rows a refresh, 40,000 rows, as a busy provider holds. */
const FILL_GROUPS = 2000;
const GRANTS = 32;
const DAY_S = 86_400;

const VARIANTS = [
  "as served",
  "without the grant_id index",
  "without the audit row",
  "synchronous = OFF",
] as const;
type Variant = (typeof VARIANTS)[number];

const newId = () => randomBytes(32).toString("base64url");

/** Payloads of about the size oidc-provider writes (claims, scopes, session ids). */
function tokenPayload(kind: string, grantId: string, accountId: string): Record<string, unknown> {
  return {
    iat: 1_900_000_000,
    exp: 1_900_086_400,
    accountId,
    acr: "urn:mace:incommon:iap:silver",
    amr: ["pwd", "otp"],
    authTime: 1_900_000_000,
    claims: { id_token: { email: null }, userinfo: { email_verified: null } },
    clientId: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    expiresWithSession: false,
    grantId,
    gty: "authorization_code refresh_token",
    jti: newId(),
    kind,
    nonce: newId(),
    scope: "openid email offline_access",
    sessionUid: newId(),
    sid: newId(),
    rotations: 3,
    iiat: 1_900_000_000,
  };
}

const auditEntry = (): AuditEntry => ({
  at: new Date(),
  event: "oauth_grant_issued",
  outcome: "client a1b2c3d4e5f60718293a4b5c6d7e8f90: refresh_token",
  userId: 1,
  email: "ann@example.com",
  ip: "127.0.0.1",
  userAgent: "bench",
  repeats: 1,
});

/** Microseconds of CPU and of wall time a refresh, over `groups` groups, on a fresh file. */
async function measure(
  variant: Variant,
  dir: string,
  groups: number,
): Promise<{ cpu: number; wall: number }> {
  const file = join(dir, `${newId()}.db`);
  const { db, sqlite } = await migratedConnection(`sqlite:${file}`);
  if (!sqlite) throw new Error("not SQLite");
  try {
    if (variant === "without the grant_id index") sqlite.exec("DROP INDEX oidc_payloads_grant_id");
    if (variant === "synchronous = OFF") sqlite.pragma("synchronous = OFF");
    const payloads = new PayloadStore(db as unknown as OidcDb, Date.now, sqlite);
    const audit = new KyselyAuditStore(db, sqlite);
    const accountId = newId();
    const grants = Array.from({ length: GRANTS }, newId);
    const chains = grants.map(() => newId());
    /** A grant's new refresh token (under `refreshId`) and access token, as a refresh writes them. */
    const issue = (grant: string, refreshId: string) => [
      payloads.upsert(
        "RefreshToken",
        refreshId,
        tokenPayload("RefreshToken", grant, accountId),
        14 * DAY_S,
      ),
      payloads.upsert("AccessToken", newId(), tokenPayload("AccessToken", grant, accountId), 3600),
    ];
    for (let g = 0; g < FILL_GROUPS; g++)
      await Promise.all(
        Array.from({ length: REFRESHES_A_GROUP }, (_, k) =>
          issue(grants[(g * REFRESHES_A_GROUP + k) % GRANTS] as string, newId()),
        ).flat(),
      );
    await Promise.all(chains.flatMap((id, i) => issue(grants[i] as string, id)));
    const refresh = (i: number): Promise<unknown> => {
      const next = newId();
      const old = chains[i] as string;
      chains[i] = next;
      return Promise.all([
        payloads.consume("RefreshToken", old),
        ...issue(grants[i] as string, next),
        variant === "without the audit row" ? undefined : audit.insertAuditEntries([auditEntry()]),
      ]);
    };
    const group = (g: number) =>
      Promise.all(
        Array.from({ length: REFRESHES_A_GROUP }, (_, k) =>
          refresh((g * REFRESHES_A_GROUP + k) % GRANTS),
        ),
      );
    for (let g = 0; g < 200; g++) await group(g); // warm-up
    const cpuBefore = process.cpuUsage();
    const wallBefore = process.hrtime.bigint();
    for (let g = 0; g < groups; g++) await group(g);
    const wall = Number(process.hrtime.bigint() - wallBefore) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const refreshes = groups * REFRESHES_A_GROUP;
    return { cpu: (cpu.user + cpu.system) / refreshes, wall: wall / refreshes };
  } finally {
    await db.destroy();
    // Each file is some 50 MB with its WAL: gone before the next is made.
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  }
}

const folder = tempDir();
const results = new Map<Variant, { cpu: number[]; wall: number[] }>(
  VARIANTS.map((variant) => [variant, { cpu: [], wall: [] }]),
);
try {
  await measure("as served", folder.dir, 200); // the JIT's warm-up, not counted
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const { cpu, wall } = await measure(variant, folder.dir, groups);
      results.get(variant)?.cpu.push(cpu);
      results.get(variant)?.wall.push(wall);
    }
  }
} finally {
  folder.remove();
}
console.log(
  `${rounds} rounds of ${groups} groups of ${REFRESHES_A_GROUP} refreshes, variants alternating, medians, ${new Date().toISOString()}`,
);
console.log("| storage of a refresh | us of CPU | us of wall time |");
console.log("|---|---|---|");
for (const [variant, { cpu, wall }] of results)
  console.log(`| ${variant} | ${fmt(median(cpu), 1)} | ${fmt(median(wall), 1)} |`);
