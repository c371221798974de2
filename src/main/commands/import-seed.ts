import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { createAuth } from "../create-auth.js";
import { importSeed } from "../import-seed.js";
import { describeSeedFailure } from "./failure-message.js";

export const IMPORT_USAGE = `Usage: auth-service import-seed <path>

Copies the users of the original Python service's SQLite file (table users:
email, hashed_password as $2b$ text or bytes) into DATABASE_URL, hashes
unchanged, so they log in with their old passwords. Users already present are
skipped, so it can run again; duplicate emails (case-insensitive) in the file
are reported, the first one wins.`;

/** `auth-service import-seed <path>` */
export async function importSeedCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(IMPORT_USAGE);
    return 0;
  }
  const [path] = positionals;
  if (!path || positionals.length > 1) {
    console.error(`auth-service: import-seed takes one path\n\n${IMPORT_USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const service = await createAuth({ ...config.auth, databaseUrl: config.databaseUrl });
  try {
    let shown = -1;
    let report: Awaited<ReturnType<typeof importSeed>>;
    try {
      report = await importSeed(path, service.db, (done, total) => {
        const percent = Math.floor((done / total) * 100);
        if (percent === shown || !process.stderr.isTTY) return;
        shown = percent;
        const bar = "#".repeat(Math.floor(percent / 4)).padEnd(25, ".");
        process.stderr.write(
          `\r[${bar}] ${percent}% (${done}/${total})${done === total ? "\n" : ""}`,
        );
      });
    } catch (error) {
      const known = describeSeedFailure(error, path);
      if (known === null) throw error;
      console.error(`auth-service: ${known}`);
      return 1;
    }
    console.log(
      `${report.total} users read: ${report.imported} imported, ${report.alreadyPresent} already present, ` +
        `${report.duplicates.length} duplicate emails skipped, ${report.invalid.length} invalid rows skipped`,
    );
    for (const email of report.duplicates) console.log(`duplicate: ${email}`);
    for (const row of report.invalid) console.log(`invalid: ${row}`);
    return 0;
  } finally {
    await service.close();
  }
}
