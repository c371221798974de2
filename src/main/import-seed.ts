import BetterSqlite3 from "better-sqlite3";
import { UserAlreadyExistsError } from "../core/errors.js";
import { algorithmOf } from "../core/password.js";
import { normalizeEmail } from "../core/user.js";
import type { DB } from "./db.js";

export interface ImportReport {
  /** Rows in the file's users table. */
  total: number;
  imported: number;
  /** Already in the target database (a second import skips them all). */
  alreadyPresent: number;
  /** Emails that appear again in the file, case-insensitively; the first row wins. */
  duplicates: string[];
  /** Rows without an email or without a bcrypt hash we can verify. */
  invalid: string[];
}

/**
 * Copies the users of the original Python service's SQLite file (table
 * `users`: `email`, `hashed_password` as `$2b$` text or as the bytes Python's
 * bcrypt returned) into our database, hashes unchanged, so those users log in
 * with their old passwords. Idempotent: users already present are skipped.
 */
export async function importSeed(
  path: string,
  db: DB,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ImportReport> {
  const source = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const rows = source
      .prepare("SELECT email, hashed_password FROM users ORDER BY rowid")
      .all() as Array<{
      email: unknown;
      hashed_password: unknown;
    }>;
    const report: ImportReport = {
      total: rows.length,
      imported: 0,
      alreadyPresent: 0,
      duplicates: [],
      invalid: [],
    };
    const seen = new Set<string>();
    for (const [index, row] of rows.entries()) {
      const email = typeof row.email === "string" ? row.email.trim() : "";
      const hash = Buffer.isBuffer(row.hashed_password)
        ? row.hashed_password.toString("utf8")
        : typeof row.hashed_password === "string"
          ? row.hashed_password
          : "";
      if (!email || algorithmOf(hash) !== "bcrypt") {
        report.invalid.push(email || `row ${index + 1}`);
      } else if (seen.has(normalizeEmail(email))) {
        report.duplicates.push(email);
      } else {
        seen.add(normalizeEmail(email));
        try {
          await db.addUser(email, hash);
          report.imported++;
        } catch (error) {
          if (!(error instanceof UserAlreadyExistsError)) throw error;
          report.alreadyPresent++;
        }
      }
      onProgress(index + 1, rows.length);
    }
    return report;
  } finally {
    source.close();
  }
}
