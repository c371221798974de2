import { randomBytes } from "node:crypto";
import net from "node:net";
import { basename, join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { tempDir } from "./server.js";

/** The local PostgreSQL of the development machines and CI; override with TEST_POSTGRES_URL. */
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  name: "sqlite" | "postgres";
  url: string;
  drop(): Promise<void>;
}

export type TestDatabaseFactory =
  | { name: TestDatabase["name"]; create(): Promise<TestDatabase> }
  | {
      name: TestDatabase["name"];
      skip: string;
    };

/**
 * The databases every store test runs against: a fresh SQLite file always; a
 * fresh PostgreSQL database (created here, dropped after) when the server
 * answers. With REQUIRE_SERVICES=1 (CI), an unreachable server is an error.
 */
export async function testDatabases(): Promise<TestDatabaseFactory[]> {
  const factories: TestDatabaseFactory[] = [{ name: "sqlite", create: createSqlite }];
  // Asked once per test process: every suite of a file gets the same answer.
  postgresProbe ??= postgresUnreachable();
  const reason = await postgresProbe;
  if (reason === null) factories.push({ name: "postgres", create: createPostgres });
  else if (process.env.REQUIRE_SERVICES === "1")
    throw new Error(`PostgreSQL is required but unreachable: ${reason}`);
  else
    factories.push({
      name: "postgres",
      skip: `PostgreSQL unreachable at ${redact(ADMIN_URL)} (${reason})`,
    });
  return factories;
}

async function createSqlite(): Promise<TestDatabase> {
  const { dir, remove } = tempDir();
  return { name: "sqlite", url: `sqlite:${join(dir, "auth.db")}`, drop: async () => remove() };
}

/**
 * A name of this run's own: the run id scripts/run-tests.mjs puts in
 * AUTH_TEST_RUN (its end-of-run check looks for names carrying it), the test
 * file's name (so a leftover names its file) and random bits.
 */
function ownName(separator: string): string {
  const run = /^[a-z0-9]{1,16}$/.test(process.env.AUTH_TEST_RUN ?? "")
    ? process.env.AUTH_TEST_RUN
    : undefined;
  const file = basename(process.argv[1] ?? "")
    .replace(/\.test\.[cm]?[jt]s$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .slice(0, 24);
  return [run, file || "test", randomBytes(4).toString("hex")]
    .filter((part) => part !== undefined)
    .join(separator);
}

async function createPostgres(): Promise<TestDatabase> {
  const name = `auth_test_${ownName("_")}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name: "postgres",
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

let postgresProbe: Promise<string | null> | undefined;

/**
 * How long a connection to the test server may take: on a loaded 2-core
 * machine (CI, two Node releases' test runs) a connect took over 3 s.
 */
const CONNECT_TIMEOUT_MS = 15_000;

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({
    connectionString: ADMIN_URL,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function postgresUnreachable(): Promise<string | null> {
  try {
    await adminQuery("SELECT 1");
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//");
}

/** The local Redis; override with TEST_REDIS_URL. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestRedis {
  url: string;
  keyPrefix: string;
  /** Deletes every key under keyPrefix (throttling keys live for a day otherwise). */
  clear(): Promise<void>;
}

/**
 * The Redis URL to test against and a key prefix of this run's own, or a skip
 * reason. With REQUIRE_SERVICES=1 (CI), an unreachable Redis is an error.
 * Call clear() when done.
 */
export async function testRedis(): Promise<TestRedis | { skip: string }> {
  const reason = await redisUnreachable();
  if (reason === null) {
    const keyPrefix = `auth-test:${ownName(":")}:`;
    return { url: REDIS_URL, keyPrefix, clear: () => deleteKeys(keyPrefix) };
  }
  if (process.env.REQUIRE_SERVICES === "1")
    throw new Error(`Redis is required but unreachable: ${reason}`);
  return { skip: `Redis unreachable at ${REDIS_URL} (${reason})` };
}

async function deleteKeys(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

async function redisUnreachable(): Promise<string | null> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port || 6379), url.hostname);
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("+PONG") ? null : `answered ${data.toString().trim()}`);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve("timed out");
    });
    socket.once("error", (error) => resolve(error.message));
  });
}
