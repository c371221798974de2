import type { CliCommand } from "../../core/commands.js";
import { CAPABILITIES } from "../capabilities.js";
import { importSeedCommand } from "./import-seed.js";
import { migrateCommand } from "./migrate.js";
import { openService } from "./open-service.js";
import { serveCommand } from "./serve.js";
import { USER_SUBCOMMANDS, userCommand } from "./user.js";

export type { CliCommand };

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
  // Then each capability's, in list order (capabilities.ts).
  ...CAPABILITIES.flatMap((capability) => capability.commands?.(openService) ?? []),
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

/** The command of this name (the CLI's own table), for tests that run one in process. */
export function cliCommand(name: string): CliCommand["run"] {
  const found = CLI_COMMANDS.find((command) => command.name === name);
  if (!found) throw new Error(`no command "${name}"`);
  return found.run;
}
