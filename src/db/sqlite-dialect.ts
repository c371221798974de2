import { type DialectAdapter, type Kysely, SqliteAdapter, SqliteDialect, sql } from "kysely";

/**
 * Kysely's SQLite dialect, with migrations serialized across processes.
 * Kysely takes no migration lock on SQLite (it assumes one process); several
 * workers or instances starting at once over one file would all run the same
 * migration. Here the lock is SQLite's own write lock: BEGIN IMMEDIATE waits
 * (up to busy_timeout) for any other migrator, then holds every other writer
 * off until COMMIT, so the second process finds the work done.
 */
export class SqliteDialectWithMigrationLock extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new SqliteAdapterWithMigrationLock();
  }
}

class SqliteAdapterWithMigrationLock extends SqliteAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`BEGIN IMMEDIATE`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    try {
      await sql`COMMIT`.execute(db);
    } catch (error) {
      // No transaction to end: BEGIN IMMEDIATE itself failed, and that error is the one to report.
      if (!/no transaction is active/.test((error as Error).message)) throw error;
    }
  }
}
