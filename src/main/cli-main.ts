import cluster from "node:cluster";
import { describeStartFailure } from "./commands/failure-message.js";
import { CLI_COMMANDS, topLevelUsage } from "./commands/table.js";
import { databaseUrlOf, wantsDebugOutput } from "./config.js";

// The commands themselves, behind the Node.js release check of cli.ts.

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    console.log(topLevelUsage());
    return name === undefined ? 1 : 0;
  }
  const command = CLI_COMMANDS.find((candidate) => candidate.name === name);
  if (command) return command.run(rest);
  console.error(`auth-service: unknown command "${name}"\n\n${topLevelUsage()}`);
  return 2;
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
