import { randomBytes } from "node:crypto";
import net from "node:net";
import { join } from "node:path";
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
  const reason = await postgresUnreachable();
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

async function createPostgres(): Promise<TestDatabase> {
  const name = `auth_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name: "postgres",
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
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

/**
 * The Redis URL to test against and a key prefix of this run's own, or a skip
 * reason. With REQUIRE_SERVICES=1 (CI), an unreachable Redis is an error.
 */
export async function testRedis(): Promise<{ url: string; keyPrefix: string } | { skip: string }> {
  const reason = await redisUnreachable();
  if (reason === null)
    return { url: REDIS_URL, keyPrefix: `auth-test:${randomBytes(6).toString("hex")}:` };
  if (process.env.REQUIRE_SERVICES === "1")
    throw new Error(`Redis is required but unreachable: ${reason}`);
  return { skip: `Redis unreachable at ${REDIS_URL} (${reason})` };
}

async function redisUnreachable(): Promise<string | null> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port || 6379), url.hostname);
    socket.setTimeout(2000);
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
