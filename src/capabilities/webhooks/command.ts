import { parseArgs } from "node:util";
import { failure, type OpenService, runCommandGroup, usageError } from "../../core/commands.js";
import { terminalJson, terminalText } from "../../platform/text/terminal-escape.js";
import { WEBHOOK_EVENT_TYPES } from "./events.js";
import type { WebhookEndpoint } from "./store.js";
import type { Webhooks } from "./webhooks.js";
import { InvalidWebhookError } from "./webhooks.js";

/** What the webhook commands work on. */
export interface WebhookCommandService {
  webhooks: Webhooks;
}

export const WEBHOOK_USAGE = `Usage: auth-service webhook <command> [options]

Commands:
  add URL --event TYPE [--event TYPE ...]
                 send these events to URL (http:// or https://), signed per
                 Standard Webhooks; the signing secret (whsec_...) is printed
                 once, alone on the last line, and stored encrypted. Internal
                 addresses (loopback, private, link-local ...) are refused
                 unless WEBHOOK_ALLOWED_HOSTS lists them (development allows
                 loopback)
  list [--json]  id, URL, events, created (never the secret)
  remove ID      stop sending to this endpoint; its queued deliveries go too
  test ID        queue a webhook.test event to this endpoint, attempt it now
                 and report whether it was delivered (a failed attempt is
                 retried by the server, unless the address is refused)

Events: ${WEBHOOK_EVENT_TYPES.join(", ")}.
Secrets are encrypted under SECRET_KEY (development without it: a key file
beside the database). Exit codes: 0 done, 1 failed (no such endpoint, test
not delivered), 2 bad arguments.`;

/** `auth-service webhook ...` */
export function webhookCommand(
  open: OpenService<WebhookCommandService>,
  args: string[],
): Promise<number> {
  return runCommandGroup(
    { name: "webhook", usage: WEBHOOK_USAGE, parse: parseOptions, commands: COMMANDS },
    open,
    args,
  );
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      event: { type: "string", multiple: true },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Values = ReturnType<typeof parseOptions>["values"];
type Command = (
  service: WebhookCommandService,
  values: Values,
  positionals: string[],
) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  async add({ webhooks }, values, positionals) {
    const [url] = positionals;
    if (positionals.length !== 1 || !url)
      return usageError(WEBHOOK_USAGE, "webhook add takes one URL");
    if (!values.event?.length)
      return usageError(WEBHOOK_USAGE, "webhook add needs at least one --event TYPE");
    try {
      const { endpoint, secret } = await webhooks.add(url, values.event);
      console.log(
        `added webhook ${endpoint.id}: ${terminalText(endpoint.url)} (${endpoint.events.join(" ")})`,
      );
      console.log("store the signing secret now: it is shown only this once");
      console.log(secret);
      return 0;
    } catch (error) {
      if (error instanceof InvalidWebhookError)
        return usageError(WEBHOOK_USAGE, terminalText(error.message));
      throw error;
    }
  },

  async list({ webhooks }, values) {
    const endpoints = await webhooks.list();
    if (values.json) {
      console.log(terminalJson(endpoints.map(publicView)));
      return 0;
    }
    if (endpoints.length === 0) console.log("no webhooks");
    for (const endpoint of endpoints) {
      const view = publicView(endpoint);
      console.log(
        `${view.id}  ${terminalText(view.url)}  ${view.events.join(",")}  created ${view.createdAt}`,
      );
    }
    return 0;
  },

  async remove({ webhooks }, _values, positionals) {
    const id = endpointId(positionals);
    if (id === null)
      return usageError(WEBHOOK_USAGE, "webhook remove takes one endpoint ID (see webhook list)");
    if (!(await webhooks.remove(id))) return failure(`no webhook with id ${id}`);
    console.log(`removed webhook ${id}`);
    return 0;
  },

  async test({ webhooks }, _values, positionals) {
    const id = endpointId(positionals);
    if (id === null)
      return usageError(WEBHOOK_USAGE, "webhook test takes one endpoint ID (see webhook list)");
    const report = await webhooks.test(id);
    if (!report) return failure(`no webhook with id ${id}`);
    const { attempt } = report;
    if (!attempt) {
      console.log(`queued ${report.messageId}: a running server is delivering it`);
      return 0;
    }
    // Delivered or not, nothing more: a status or an error text would tell
    // what listens at the address, which makes this command a port scanner.
    if (attempt.outcome === "delivered") {
      console.log(`delivered ${report.messageId} to webhook ${id}`);
      return 0;
    }
    console.log(
      `not delivered ${report.messageId} to webhook ${id} (the reason is kept in webhook_deliveries.last_error)`,
    );
    return 1;
  },
};

/** The names `auth-service webhook` dispatches, for the top-level help. */
export const WEBHOOK_SUBCOMMANDS: readonly string[] = Object.keys(COMMANDS);

function endpointId(positionals: string[]): number | null {
  const [text] = positionals;
  if (positionals.length !== 1 || !text || !/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}

function publicView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    createdAt: endpoint.createdAt.toISOString(),
  };
}
