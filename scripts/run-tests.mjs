#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own runner. Node 20's --test does
// not expand globs, so the files are listed here; extra arguments narrow the
// run to paths containing them (npm test -- bad-input).
//
// Then it checks that the run left nothing behind in the shared PostgreSQL
// and Redis: test/helpers/databases.ts puts this run's id (AUTH_TEST_RUN) and
// the test file's name in every database and key prefix it makes, so other
// runs on the same servers (CI, colleagues) are told apart. Leftovers fail
// the run, named with their file, and are then removed.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = findTests("test")
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}

// A hung test fails after two minutes instead of holding CI to its limit.
// Node 22's runner applies --test-timeout to each file as a whole as well
// (a file of twenty Chromium flows outgrew two minutes on a loaded machine),
// so there a file gets fifteen; Node 24 applies it to each test alone.
const nodeMajor = Number(process.versions.node.split(".")[0]);
const testTimeout = nodeMajor >= 24 ? 120_000 : 900_000;

const run = randomBytes(4).toString("hex");
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${Math.max(2, availableParallelism())}`,
    "--test-reporter=spec",
    `--test-timeout=${testTimeout}`,
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, NODE_ENV: "test", AUTH_TEST_RUN: run } },
);
const status = result.status ?? 1;
const leftovers = await checkLeftovers(run);
process.exit(status !== 0 ? status : leftovers ? 1 : 0);

/** Reports (and removes) what this run left; true when something was left or could not be checked. */
async function checkLeftovers(run) {
  const required = process.env.REQUIRE_SERVICES === "1";
  const fileOf = (slug) =>
    files.filter((file) => fileSlug(file) === slug).join(" or ") ||
    `a test file named like "${slug}"`;
  const left = [];
  const unchecked = [];
  for (const [service, find] of [
    ["PostgreSQL", postgresLeftovers],
    ["Redis", redisLeftovers],
  ]) {
    try {
      left.push(...(await find(run, fileOf)));
    } catch (error) {
      unchecked.push(`${service}: could not look for leftovers (${error.message})`);
    }
  }
  if (unchecked.length > 0) {
    const verdict = required ? "FAILED (REQUIRE_SERVICES=1)" : "not checked";
    console.error(`\nrun-tests: ${verdict}:\n${unchecked.map((line) => `  ${line}`).join("\n")}`);
  }
  if (left.length > 0) {
    console.error(
      `\nrun-tests: FAILED: this run left behind what its tests made (drop it in an after hook; removed now):\n${left
        .map((line) => `  ${line}`)
        .join("\n")}`,
    );
  }
  return left.length > 0 || (required && unchecked.length > 0);
}

/** As test/helpers/databases.ts names a file: basename without .test.ts, [a-z0-9_], 24 chars. */
function fileSlug(file) {
  return basename(file)
    .replace(/\.test\.[cm]?[jt]s$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .slice(0, 24);
}

async function postgresLeftovers(run, fileOf) {
  const client = new pg.Client({
    connectionString: process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    connectionTimeoutMillis: 3000,
  });
  await client.connect();
  try {
    const prefix = `auth_test_${run}_`;
    const { rows } = await client.query(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname",
      [prefix],
    );
    const problems = [];
    for (const { datname } of rows) {
      // auth_test_<run>_<file>_<8 hex>
      problems.push(
        `PostgreSQL database ${datname}, from ${fileOf(datname.slice(prefix.length, -9))}`,
      );
      await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
    return problems;
  } finally {
    await client.end();
  }
}

async function redisLeftovers(run, fileOf) {
  const client = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {}); // the failed connect() says it
  await client.connect();
  try {
    const keys = [];
    let cursor = "0";
    do {
      const [next, batch] = await client.scan(cursor, "MATCH", `auth-test:${run}:*`, "COUNT", 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    // auth-test:<run>:<file>:<8 hex>:<the service's key>
    const byPrefix = Map.groupBy(keys, (key) => key.split(":").slice(0, 4).join(":"));
    const problems = [...byPrefix].map(
      ([prefix, some]) =>
        `Redis: ${some.length} key(s) under ${prefix}: (e.g. ${some[0]}), from ${fileOf(prefix.split(":")[2])}`,
    );
    for (let i = 0; i < keys.length; i += 1000) await client.del(...keys.slice(i, i + 1000));
    return problems;
  } finally {
    client.disconnect();
  }
}
