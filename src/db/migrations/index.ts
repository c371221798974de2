import type { Migration } from "kysely";
import type { Dialect } from "../schema.js";
import { initMigration } from "./0001-init.js";

/**
 * Every migration, in order. Listed here rather than read from a folder, so the
 * same list works from TypeScript sources and from the compiled dist/. Add new
 * ones at the end; never edit or remove one that has shipped.
 */
export function allMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    "0001-init": initMigration(dialect),
  };
}
