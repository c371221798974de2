import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { algorithmOf } from "../../core/password.js";
import { type SessionClient, toSessionInfo } from "../../core/session.js";
import { mailOptionsOf } from "../../platform/mail/transport.js";
import { terminalJson, terminalLine, terminalText } from "../../platform/text/terminal-escape.js";
import { loadConfig } from "../config.js";
import { type AuthService, createAuth } from "../create-auth.js";

export const USER_USAGE = `Usage: auth-service user <command> [options]

Commands:
  list [--limit N] [--after ID] [--json]
                       users in id order, with their live sessions
  show <email> [--json]
                       one user, its hash algorithm (never the hash), whether
                       it has a second factor (TOTP, passkeys; never a
                       secret) and sessions
  create <email>       register a user; the password is read from standard
                       input (piped, or typed twice on a terminal), never from
                       the command line, and the password policy applies
  delete <email> --yes delete a user, its sessions and reset token
  revoke-sessions <email>
                       end every session of a user
  verify <email>       mark a user's email address verified (users from before
                       verification existed, or imported, are not)
  reset-mfa <email>    turn off the two-factor authentication of a user who
                       lost the device and the recovery codes: TOTP, recovery
                       codes and passkeys (the user is told by mail where mail
                       is configured)

Every command acts on DATABASE_URL and leaves a row in the audit trail where
it changes something. Exit codes: 0 done, 1 failed (no such user, refused
password), 2 bad arguments.`;

/** What the CLI's acts look like in the audit trail. */
const OPERATOR: SessionClient = { ip: null, userAgent: "auth-service cli" };

/** `auth-service user ...` */
export async function userCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USER_USAGE);
    return command === undefined ? 2 : 0;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      limit: { type: "string" },
      after: { type: "string" },
      yes: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USER_USAGE);
    return 0;
  }
  const handler = HANDLERS[command];
  if (!handler) return usageError(`unknown user command "${command}"`);
  const email = positionals[0];
  if (command !== "list" && (positionals.length !== 1 || !email))
    return usageError(`user ${command} takes one email`);
  if (command === "list" && positionals.length > 0) return usageError("user list takes no email");

  const config = loadConfig();
  const service = await createAuth({
    ...config.auth,
    databaseUrl: config.databaseUrl,
    secretKey: config.secretKey,
    // Notices (reset-mfa) go to the outbox table, never sent from here: the
    // running service's outbox worker mails them.
    mail: mailOptionsOf(config),
  });
  try {
    return await handler(service, email ?? "", values);
  } finally {
    await service.close();
  }
}

type Options = { json?: boolean; limit?: string; after?: string; yes?: boolean };
type Handler = (service: AuthService, email: string, options: Options) => Promise<number>;

const HANDLERS: Record<string, Handler> = {
  async list({ store }, _email, options) {
    const limit = Number(options.limit ?? 1000);
    const afterId = Number(options.after ?? 0);
    if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(afterId))
      return usageError("--limit takes a positive integer, --after a user id");
    const users = await store.listUsers({ limit, afterId, now: new Date() });
    for (const user of users) {
      console.log(
        options.json
          ? terminalJson(user)
          : terminalLine`${String(user.id).padStart(6)}  ${user.email}  created ${user.createdAt.toISOString()}  sessions ${user.sessions}`,
      );
    }
    if (!options.json) console.error(`${users.length} user(s)`);
    return 0;
  },

  async show({ store, auth }, email, options) {
    const user = await store.findUser({ email });
    if (!user) return failure(`no user with the email ${email}`);
    const sessions = await store.listSessionsOfUser(user.id, new Date());
    const view = {
      id: user.id,
      email: user.email,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
      emailVerifiedAt: user.emailVerifiedAt,
      passwordHash:
        user.hashedPassword === null ? "none" : (algorithmOf(user.hashedPassword) ?? "unknown"),
      secondFactor: await auth.secondFactorFacts(user.id),
      sessions: sessions.map((session) => toSessionInfo(session)),
    };
    if (options.json) {
      console.log(terminalJson(view));
      return 0;
    }
    console.log(`id          ${view.id}`);
    console.log(terminalLine`email       ${view.email}`);
    console.log(`created     ${view.createdAt.toISOString()}`);
    console.log(`updated     ${view.updatedAt.toISOString()}`);
    console.log(`verified    ${view.emailVerifiedAt?.toISOString() ?? "no"}`);
    console.log(`password    ${view.passwordHash}`);
    console.log(`2fa         ${secondFactorLine(view.secondFactor)}`);
    console.log(`sessions    ${view.sessions.length}`);
    for (const session of view.sessions) {
      console.log(
        terminalLine`  ${session.id}  since ${session.createdAt.toISOString()}  seen ${session.lastSeenAt.toISOString()}  ${session.ip ?? "-"}  ${session.userAgent ?? ""}`,
      );
    }
    return 0;
  },

  async create({ auth }, email) {
    const password = await readPassword();
    if (password === null) return failure("the two passwords differ");
    try {
      const user = await auth.createUser(email, password, OPERATOR);
      console.log(terminalLine`created user ${user.id} ${user.email}`);
      return 0;
    } catch (error) {
      return failure((error as Error).message);
    }
  },

  async delete({ auth }, email, options) {
    if (!options.yes) return usageError(`user delete removes ${email} for good: add --yes`);
    if (!(await auth.deleteUser(email, OPERATOR)))
      return failure(`no user with the email ${email}`);
    console.log(terminalLine`deleted ${email}`);
    return 0;
  },

  async verify({ auth }, email) {
    if (!(await auth.emailAddresses.markVerified(email, OPERATOR)))
      return failure(`no user with the email ${email}`);
    console.log(terminalLine`marked the address of ${email} verified`);
    return 0;
  },

  async "reset-mfa"({ auth }, email) {
    // Every kind: TOTP with its recovery codes, and passkeys (a second factor too).
    const reset = await auth.resetSecondFactorsByOperator(email, OPERATOR);
    if (reset === null) return failure(`no user with the email ${email}`);
    if (!reset) return failure(`${email} has no second factor`);
    console.log(
      terminalLine`turned off two-factor authentication of ${email} (TOTP, recovery codes and passkeys)`,
    );
    return 0;
  },

  async "revoke-sessions"({ auth }, email) {
    const count = await auth.revokeAllSessions(email, OPERATOR);
    if (count === null) return failure(`no user with the email ${email}`);
    console.log(terminalLine`ended ${count} session(s) of ${email}`);
    return 0;
  },
};

/** `user show`'s line of the second factors: "off", or each kind that is on. */
function secondFactorLine(facts: Readonly<Record<string, boolean | number>>): string {
  const on: string[] = [];
  if (facts.totp === true)
    on.push(`totp on, ${facts.recoveryCodesLeft ?? 0} recovery code(s) left`);
  if (typeof facts.passkeys === "number" && facts.passkeys > 0)
    on.push(`${facts.passkeys} passkey(s)`);
  return on.length > 0 ? on.join("; ") : "off";
}

/** The names `auth-service user` dispatches, for the top-level help. */
export const USER_SUBCOMMANDS: readonly string[] = Object.keys(HANDLERS);

/** Messages carry emails and arguments as given: escaped, as every line the CLI prints. */
function usageError(message: string): number {
  console.error(`auth-service: ${terminalText(message)}\n\n${USER_USAGE}`);
  return 2;
}

function failure(message: string): number {
  console.error(`auth-service: ${terminalText(message)}`);
  return 1;
}

/**
 * The new user's password: the first line of standard input when it is piped
 * (`printf '%s\n' "$PASSWORD" | auth-service user create bob@example.com`), or
 * typed twice without echo on a terminal; null when the two differ.
 */
async function readPassword(): Promise<string | null> {
  if (!process.stdin.isTTY) {
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) return line;
    return "";
  }
  const first = await promptHidden("Password: ");
  const second = await promptHidden("Again: ");
  return first === second ? first : null;
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const prompt = createInterface({
      input: process.stdin,
      output: process.stderr,
      terminal: true,
    });
    // Echo nothing of what is typed: readline writes through _writeToOutput.
    (prompt as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text) => {
      if (text.startsWith(question)) process.stderr.write(question);
    };
    prompt.question(question, (answer) => {
      process.stderr.write("\n");
      prompt.close();
      resolve(answer);
    });
  });
}
