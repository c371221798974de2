import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { createAuth } from "../create-auth.js";

export const MIGRATE_USAGE = `Usage: auth-service migrate

Applies pending migrations to DATABASE_URL and exits. Migrations never drop data.`;

/** `auth-service migrate` */
export async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { help: { type: "boolean", short: "h" } } });
  if (values.help) {
    console.log(MIGRATE_USAGE);
    return 0;
  }
  const config = loadConfig();
  const service = await createAuth({ ...config.auth, databaseUrl: config.databaseUrl });
  await service.close();
  const applied = service.appliedMigrations;
  console.log(
    applied.length === 0
      ? "database is up to date: no migration to apply"
      : `applied ${applied.length} migration${applied.length === 1 ? "" : "s"}: ${applied.join(", ")}; database is up to date`,
  );
  return 0;
}
