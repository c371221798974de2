import { Migrator } from "kysely/migration";
import { connect } from "../../src/platform/db/connect.js";
import { allMigrations } from "../../src/platform/db/migrations/index.js";

/** A connection to the database at `url`, its schema migrated to the latest, as the service opens it. */
export async function migratedConnection(
  url: string,
  timeoutMs = 5000,
): Promise<ReturnType<typeof connect>> {
  const connection = connect({ url, timeoutMs });
  const migrations = allMigrations(connection.dialect);
  const migrator = new Migrator({
    db: connection.db,
    provider: { getMigrations: async () => migrations },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  return connection;
}
