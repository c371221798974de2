import cluster from "node:cluster";
import { parseArgs } from "node:util";
import { runPrimary } from "./cluster.js";
import { apiKeyCommand } from "./commands/api-key.js";
import { auditCommand } from "./commands/audit.js";
import { describeSeedFailure, describeStartFailure } from "./commands/failure-message.js";
import { userCommand } from "./commands/user.js";
import { webhookCommand } from "./commands/webhook.js";
import { databaseUrlOf, loadConfig, wantsDebugOutput } from "./config.js";
import { createAuth } from "./create-auth.js";
import { importSeed } from "./db/import-seed.js";
import { createLogger } from "./http/logger.js";
import { startServer } from "./server.js";
import { keepTickObjectMapsAlive } from "./tick-object-maps.js";

const USAGE = `Usage: auth-service <command> [options]

Commands:
  serve      run the HTTP service (runs pending migrations first)
  migrate    bring the database schema up to date, then exit
  import-seed <path>
             import the users of the original Python service's SQLite file
  user       list | show <email> | create <email> | delete <email> --yes
             | revoke-sessions <email>
  audit      print the audit trail [--email E] [--since T] [--limit N] [--json]
  api-key    create --name N --scope S [--scope S ...] [--expires D] | list | revoke <name>
             keys of the admin API (/admin)
  webhook    add <url> --event T [--event T ...] | list | remove <id> | test <id>
             signed webhooks (Standard Webhooks) of user and session events

Options:
  -h, --help  show help (also: auth-service <command> --help)

Configuration comes from environment variables (see .env.example);
DATABASE_URL defaults to sqlite:auth.db, PORT to 5000.`;

const SERVE_USAGE = `Usage: auth-service serve [--port N] [--host ADDRESS] [--workers N]

Runs the HTTP service. Flags override PORT, HOST and WORKERS; everything else
is read from the environment (see .env.example). With --workers N (N > 1), a
primary process runs N workers on the port and restarts any that dies.
SIGTERM or SIGINT stop it gracefully.`;

const MIGRATE_USAGE = `Usage: auth-service migrate

Applies pending migrations to DATABASE_URL and exits. Migrations never drop data.`;

/** How long a graceful stop may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === "serve") return serve(rest);
  if (command === "migrate") return migrate(rest);
  if (command === "import-seed") return importSeedCommand(rest);
  if (command === "audit") return auditCommand(rest);
  if (command === "user") return userCommand(rest);
  if (command === "api-key") return apiKeyCommand(rest);
  if (command === "webhook") return webhookCommand(rest);
  console.error(`auth-service: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string" },
      workers: { type: "string", short: "w" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
  keepTickObjectMapsAlive();
  const config = loadConfig(undefined, {
    PORT: values.port,
    HOST: values.host,
    WORKERS: values.workers,
  });
  if (config.workers > 1 && cluster.isPrimary) {
    return runPrimary(config, config.workers, createLogger(config.logLevel));
  }
  const server = await startServer(config);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal stops at once, unless a cluster primary is in charge of that.
      if (cluster.isWorker) return;
      process.exit(1);
    }
    stopping = true;
    server.app.log.info({ signal }, "shutting down");
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return new Promise<number>(() => {}); // runs until a signal
}

async function migrate(args: string[]): Promise<number> {
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

const IMPORT_USAGE = `Usage: auth-service import-seed <path>

Copies the users of the original Python service's SQLite file (table users:
email, hashed_password as $2b$ text or bytes) into DATABASE_URL, hashes
unchanged, so they log in with their old passwords. Users already present are
skipped, so it can run again; duplicate emails (case-insensitive) in the file
are reported, the first one wins.`;

async function importSeedCommand(args: string[]): Promise<number> {
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known =
      error instanceof TypeError && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
        ? error.message
        : describeStartFailure(error, databaseUrlOf());
    // The stack is for debugging, not for an operator who mistyped a setting.
    if (known === null || wantsDebugOutput()) console.error("auth-service: failed:", error);
    if (known !== null) console.error(`auth-service: ${known}`);
    process.exitCode = 1;
    // A cluster worker's channel to the primary would keep it alive, failed
    // but counted as running; it exits so the primary can replace it.
    if (cluster.isWorker) process.exit(1);
  },
);
