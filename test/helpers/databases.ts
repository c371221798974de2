import { randomBytes } from "node:crypto";
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
