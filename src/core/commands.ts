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

/** The service a command works on, opened from the configuration; closed when the command is done. */
export type OpenService<Service> = (options?: {
  /** Record the command's own changes in the audit trail (default true). */
  audit?: boolean;
}) => Promise<Service & { close(): Promise<void> }>;

/** What a `auth-service <group> <command>` family of commands declares. */
export interface CommandGroup<Service, Values extends { help?: boolean }> {
  /** "api-key", "webhook": for messages. */
  name: string;
  usage: string;
  /** node:util parseArgs over the arguments after the command. */
  parse(args: string[]): { values: Values; positionals: string[] };
  commands: Record<
    string,
    (service: Service, values: Values, positionals: string[]) => Promise<number>
  >;
}

/**
 * Runs one command of a group: --help, argument errors (exit 2), then the
 * command over a service opened on DATABASE_URL and closed afterwards.
 */
export async function runCommandGroup<Service, Values extends { help?: boolean }>(
  group: CommandGroup<Service, Values>,
  open: OpenService<Service>,
  args: string[],
): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(group.usage);
    return command === undefined ? 2 : 0;
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = group.parse(rest);
  } catch (error) {
    return usageError(group.usage, (error as Error).message);
  }
  if (parsed.values.help) {
    console.log(group.usage);
    return 0;
  }
  const run = group.commands[command];
  if (!run) return usageError(group.usage, `unknown ${group.name} command "${command}"`);
  const service = await open();
  try {
    return await run(service, parsed.values, parsed.positionals);
  } finally {
    await service.close();
  }
}

/** A bad argument: the message and the usage on stderr, exit code 2. */
export function usageError(usage: string, message: string): number {
  console.error(`auth-service: ${message}\n\n${usage}`);
  return 2;
}

/** A command that could not do its work: the message on stderr, exit code 1. */
export function failure(message: string): number {
  console.error(`auth-service: ${message}`);
  return 1;
}
