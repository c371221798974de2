import { parseArgs } from "node:util";
import { failure, type OpenService, runCommandGroup, usageError } from "../../core/commands.js";
import { parseDuration } from "../../platform/text/duration.js";
import type { ApiKeys } from "./api-keys.js";
import { API_KEY_SCOPES, ApiKeyNameTakenError, type ApiKeyRecord } from "./api-keys.js";

/** What the api-key commands work on. */
export interface ApiKeyCommandService {
  apiKeys: ApiKeys;
}

export const API_KEY_USAGE = `Usage: auth-service api-key <command> [options]

Commands:
  create --name NAME --scope SCOPE [--scope SCOPE ...] [--expires DURATION]
                 make a key for the admin API; it is printed once, alone on
                 the last line, and only its hash is kept
  list [--json]  name, prefix, scopes, created, last used, expiry (never the key)
  revoke NAME    the key stops working at once

Scopes: ${API_KEY_SCOPES.join(", ")}. DURATION: 90d, 12h, 30m ...
Exit codes: 0 done, 1 failed (name taken, no such key), 2 bad arguments.`;

/** `auth-service api-key ...` */
export function apiKeyCommand(
  open: OpenService<ApiKeyCommandService>,
  args: string[],
): Promise<number> {
  return runCommandGroup(
    {
      name: "api-key",
      usage: API_KEY_USAGE,
      parse: parseOptions,
      commands: COMMANDS,
    },
    open,
    args,
  );
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      scope: { type: "string", multiple: true },
      expires: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Values = ReturnType<typeof parseOptions>["values"];
type Command = (
  service: ApiKeyCommandService,
  values: Values,
  positionals: string[],
) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  async create({ apiKeys }, values) {
    if (!values.name) return usageError(API_KEY_USAGE, "api-key create needs --name NAME");
    if (!values.scope?.length)
      return usageError(API_KEY_USAGE, "api-key create needs at least one --scope");
    let expiresAt: Date | undefined;
    if (values.expires !== undefined) {
      const duration = parseDuration(values.expires);
      if (!Number.isSafeInteger(duration) || duration <= 0)
        return usageError(
          API_KEY_USAGE,
          `--expires must be a duration such as 90d or 12h (got "${values.expires}")`,
        );
      expiresAt = new Date(Date.now() + duration);
    }
    try {
      const { key, record } = await apiKeys.create({
        name: values.name,
        scopes: values.scope,
        expiresAt,
      });
      console.log(`created API key "${record.name}" (${record.scopes.join(" ")})`);
      console.log(`expires: ${record.expiresAt?.toISOString() ?? "never"}`);
      console.log("store it now: it is shown only this once");
      console.log(key);
      return 0;
    } catch (error) {
      if (error instanceof RangeError) return usageError(API_KEY_USAGE, error.message);
      if (error instanceof ApiKeyNameTakenError) return failure(error.message);
      throw error;
    }
  },

  async list({ apiKeys }, values) {
    const keys = await apiKeys.list();
    if (values.json) {
      console.log(JSON.stringify(keys.map(publicView)));
      return 0;
    }
    if (keys.length === 0) console.log("no API keys");
    for (const key of keys) {
      const view = publicView(key);
      console.log(
        `${view.name}  ${view.prefix}...  ${view.scopes.join(",")}  created ${view.createdAt}  last used ${view.lastUsedAt ?? "never"}  expires ${view.expiresAt ?? "never"}`,
      );
    }
    return 0;
  },

  async revoke({ apiKeys }, _values, positionals) {
    const [name] = positionals;
    if (positionals.length !== 1 || !name)
      return usageError(API_KEY_USAGE, "api-key revoke takes one NAME");
    if (!(await apiKeys.revoke(name))) return failure(`no API key named "${name}"`);
    console.log(`revoked API key "${name}"`);
    return 0;
  },
};

/** The names `auth-service api-key` dispatches, for the top-level help. */
export const API_KEY_SUBCOMMANDS: readonly string[] = Object.keys(COMMANDS);

function publicView(key: ApiKeyRecord) {
  return {
    name: key.name,
    prefix: key.displayPrefix,
    scopes: key.scopes,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
  };
}
