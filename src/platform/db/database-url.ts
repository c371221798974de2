import type { Dialect } from "./schema.js";

/** What a DATABASE_URL names, or an error message saying why it names nothing. */
export function parseDatabaseUrl(url: string): { dialect: Dialect; location: string } {
  if (url.startsWith("sqlite:")) {
    const location = url.slice("sqlite:".length).replace(/^\/\//, "");
    if (location.length === 0)
      throw new Error("DATABASE_URL sqlite: needs a path, e.g. sqlite:auth.db");
    return { dialect: "sqlite", location: location === ":memory:" ? ":memory:" : location };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    return { dialect: "postgres", location: url };
  }
  throw new Error(
    "DATABASE_URL must start with sqlite: (e.g. sqlite:auth.db, sqlite::memory:) or postgres://",
  );
}
