import { parseDatabaseUrl } from "../../platform/db/database-url.js";
import { ConfigError } from "../config.js";

/**
 * One line saying what went wrong and what to do, for the failures an
 * operator meets at the command line (the database cannot be reached, does not
 * exist, refuses the credentials), naming the host and port it tried; null for
 * anything else (a bug: the caller prints the stack).
 */
export function describeStartFailure(error: unknown, databaseUrl: string): string | null {
  if (error instanceof ConfigError) return error.message;
  const place = databasePlace(databaseUrl);
  for (const cause of causesOf(error)) {
    const code = (cause as { code?: unknown }).code;
    const name = /database "([^"]+)" does not exist/.exec((cause as Error).message)?.[1];
    if (code === "3D000" || name) {
      return `the PostgreSQL database "${name ?? "?"}" does not exist at ${place}: create it (createdb -h ... ${name ?? ""}) or fix DATABASE_URL`;
    }
    if (code === "ECONNREFUSED") {
      return `nothing answers at ${place} (DATABASE_URL): start the database there, or fix the URL`;
    }
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
      return `the database host of ${place} (DATABASE_URL) does not resolve: fix the URL`;
    }
    if (code === "28P01" || code === "28000") {
      return `PostgreSQL at ${place} refused DATABASE_URL's user or password`;
    }
    if (code === "SQLITE_CANTOPEN") {
      return `cannot open the SQLite database ${place}: does its folder exist and is it writable?`;
    }
  }
  if ((error as { code?: unknown })?.code === "unavailable") {
    return `the database at ${place} did not answer within DATABASE_TIMEOUT: is it running?`;
  }
  return null;
}

/** One line for an import-seed file that cannot be read as the original service's database; null otherwise. */
export function describeSeedFailure(error: unknown, path: string): string | null {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : "";
  if (code === "SQLITE_CANTOPEN") return `cannot open ${path}: no such file, or not readable`;
  if (code === "SQLITE_NOTADB") return `${path} is not a SQLite database`;
  if (/no such (table|column)/.test(message)) {
    return `${path} is not the original service's database: it needs a users table with email and hashed_password (${message})`;
  }
  return null;
}

/** The error and its causes, outermost first (AggregateError's errors too). */
function* causesOf(error: unknown): Generator<unknown> {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    yield current;
    if (current instanceof AggregateError) yield* current.errors;
    current = (current as { cause?: unknown }).cause;
  }
}

/** host:port/database of a PostgreSQL URL (never its password), or the SQLite path. */
function databasePlace(databaseUrl: string): string {
  try {
    const parsed = parseDatabaseUrl(databaseUrl);
    if (parsed.dialect === "sqlite") return parsed.location;
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "DATABASE_URL";
  }
}
