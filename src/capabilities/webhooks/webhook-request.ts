import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { RefusedTargetError } from "../../platform/net/checked-lookup.js";
import type { OutboundTargetPolicy } from "../../platform/net/target-policy.js";

/**
 * POSTs webhooks through node:http(s), whose connections take a `lookup`
 * function (checked-lookup.ts): the address a name resolves to is checked
 * and then connected to, with no second resolution in between. Keep-alive
 * agents reuse connections to an endpoint; a reused connection goes to an
 * address that was checked when it was opened.
 */
export class WebhookRequests {
  readonly #policy: OutboundTargetPolicy;
  readonly #lookup: LookupFunction;
  readonly #agents = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true }),
  };

  constructor(policy: OutboundTargetPolicy, lookup: LookupFunction) {
    this.#policy = policy;
    this.#lookup = lookup;
  }

  /**
   * The endpoint's HTTP status. Redirects are not followed (the receiver is
   * the URL the operator registered) and the answer's body is not read.
   * @throws RefusedTargetError when the URL's host is an address the policy refuses
   *   (a connection to an IP address involves no lookup, so it is checked here).
   */
  post(
    target: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<number> {
    const url = new URL(target);
    const refusal = this.#policy.refusalOfUrlHost(url);
    if (refusal)
      return Promise.reject(
        new RefusedTargetError(url.hostname, url.hostname, refusal, this.#policy.setting),
      );
    const protocol = url.protocol === "https:" ? "https:" : "http:";
    const client = protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(
        url,
        {
          method: "POST",
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          agent: this.#agents[protocol],
          lookup: this.#lookup,
          signal,
        },
        (response) => {
          // Drained, so the connection can serve the next delivery; the
          // signal still cuts a body that never ends.
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.once("error", reject);
      request.end(body);
    });
  }

  /** Closes the idle kept-alive connections. */
  close(): void {
    this.#agents["http:"].destroy();
    this.#agents["https:"].destroy();
  }
}
