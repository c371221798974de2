import type { HostResolver } from "../../platform/net/checked-lookup.js";
import type { OutboundTargetPolicy } from "../../platform/net/target-policy.js";

/** Raised for a URL that is not http(s), an internal target, or an event type nobody sends. */
export class InvalidWebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidWebhookError";
  }
}

/** Longest wait for the resolver at `add`; past it the name is accepted, as one that does not resolve. */
const RESOLVE_AT_ADD_TIMEOUT_MS = 5000;

/** The URL, when it is an absolute http(s) URL without credentials. */
export function parseEndpointUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidWebhookError(`not a URL: "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InvalidWebhookError(
      `a webhook URL must be http:// or https:// (got "${url.protocol}")`,
    );
  if (url.username || url.password)
    throw new InvalidWebhookError("a webhook URL must not carry credentials");
  return url;
}

/**
 * Refuses a URL whose host is an internal address in any spelling, a name of
 * this host, or a name that resolves to an internal address now. A name that
 * does not resolve (yet) is accepted: every delivery resolves and checks it
 * again, which is also what keeps out a name that changes its address later.
 * @throws InvalidWebhookError naming the address and its kind.
 */
export async function assertAllowedEndpoint(
  url: URL,
  policy: OutboundTargetPolicy,
  resolve: HostResolver,
): Promise<void> {
  const refusal = policy.refusalOfUrlHost(url);
  if (refusal) throw new InvalidWebhookError(refusedMessage(url.hostname, refusal));
  if (!policy.isResolvedName(url)) return;
  let timer: NodeJS.Timeout | undefined;
  const addresses = await Promise.race([
    resolve(url.hostname).catch(() => []),
    new Promise<[]>((done) => {
      timer = setTimeout(() => done([]), RESOLVE_AT_ADD_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  for (const { address } of addresses) {
    const kind = policy.refusalOf(url.hostname, address);
    if (kind) throw new InvalidWebhookError(refusedMessage(`${url.hostname} (${address})`, kind));
  }
}

function refusedMessage(host: string, kind: string): string {
  return `${host} is a ${kind} address: webhooks may not reach internal addresses unless WEBHOOK_ALLOWED_HOSTS lists them`;
}

/** The setting that lists the internal hosts webhooks may reach, named in refusals. */
export const WEBHOOK_ALLOWED_HOSTS = "WEBHOOK_ALLOWED_HOSTS";
