import { API_KEY_SUBCOMMANDS, apiKeyCommand } from "./api-key.js";
import { auditCommand } from "./audit.js";
import { importSeedCommand } from "./import-seed.js";
import { migrateCommand } from "./migrate.js";
import { serveCommand } from "./serve.js";
import { USER_SUBCOMMANDS, userCommand } from "./user.js";
import { WEBHOOK_SUBCOMMANDS, webhookCommand } from "./webhook.js";

/** One `auth-service <name> ...` command. */
export interface CliCommand {
  name: string;
  /** What follows the name in the help: "<path>". */
  args?: string;
  summary: string;
  /** A group's commands, taken from the table the group dispatches from. */
  subcommands?: readonly string[];
  run(args: string[]): Promise<number>;
}

/**
 * Every command, in the order `--help` lists them. The CLI dispatches from
 * this table and generates its help from it, so the help cannot leave out a
 * command that runs (it once left out `user verify` and `user reset-mfa`).
 */
export const CLI_COMMANDS: readonly CliCommand[] = [
  {
    name: "serve",
    args: "[--port N] [--host ADDRESS] [--workers N]",
    summary: "run the HTTP service (runs pending migrations first)",
    run: serveCommand,
  },
  {
    name: "migrate",
    summary: "bring the database schema up to date, then exit",
    run: migrateCommand,
  },
  {
    name: "import-seed",
    args: "<path>",
    summary: "import the users of the original Python service's SQLite file",
    run: importSeedCommand,
  },
  {
    name: "user",
    summary: "look after users (every change is audited)",
    subcommands: USER_SUBCOMMANDS,
    run: userCommand,
  },
  {
    name: "audit",
    args: "[--email E] [--since T] [--limit N] [--json]",
    summary: "print the audit trail, oldest first",
    run: auditCommand,
  },
  {
    name: "api-key",
    summary: "keys of the admin API (/admin)",
    subcommands: API_KEY_SUBCOMMANDS,
    run: apiKeyCommand,
  },
  {
    name: "webhook",
    summary: "signed webhooks (Standard Webhooks) of user and session events",
    subcommands: WEBHOOK_SUBCOMMANDS,
    run: webhookCommand,
  },
];

/** `auth-service --help`, generated from the commands. */
export function topLevelUsage(commands: readonly CliCommand[] = CLI_COMMANDS): string {
  const indent = " ".repeat(4);
  const lines = commands.flatMap((command) => [
    `  ${command.name}${command.subcommands ? " <command>" : ""}${command.args ? ` ${command.args}` : ""}`,
    ...(command.subcommands ? [`${indent}${command.subcommands.join(" | ")}`] : []),
    `${indent}${command.summary}`,
  ]);
  return `Usage: auth-service <command> [options]

Commands:
${lines.join("\n")}

Options:
  -h, --help  show help (also: auth-service <command> --help, for its commands and options)

Configuration comes from environment variables (see .env.example);
DATABASE_URL defaults to sqlite:auth.db, PORT to 5000.`;
}
