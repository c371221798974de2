import http from "node:http";
import https from "node:https";
import { checkedLookup, type HostResolver, RefusedTargetError } from "./checked-lookup.js";
import type { OutboundTargetPolicy } from "./target-policy.js";

/** What a checked fetch takes: the Fetch API's options a client library sends. */
export interface CheckedFetchInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | null | undefined;
  signal?: AbortSignal | undefined;
}

/** A Fetch API-like function whose connections go only where the policy allows. */
export type CheckedFetch = (url: string | URL, init?: CheckedFetchInit) => Promise<Response>;

/** An answer bigger than this (a discovery document, a JWKS, a token) is cut off. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * A fetch over node:http(s) whose connections take the checked lookup
 * (checked-lookup.ts): a host name is resolved once, every address it has
 * is checked against the policy, and exactly those addresses are connected
 * to, so DNS rebinding cannot slip an internal address in between. A URL
 * whose host is an address (in any spelling) is checked before any
 * connection. Redirects are not followed (the caller gets the 3xx), and an
 * answer's body is bounded.
 */
export function checkedFetch(policy: OutboundTargetPolicy, resolve: HostResolver): CheckedFetch {
  const lookup = checkedLookup(resolve, policy);
  return async (target, init = {}) => {
    const url = new URL(target);
    if (url.protocol !== "https:" && url.protocol !== "http:")
      throw new TypeError(`not an http(s) URL: ${url.protocol}`);
    const refusal = policy.refusalOfUrlHost(url);
    if (refusal) throw new RefusedTargetError(url.hostname, url.hostname, refusal, policy.setting);
    const body = bodyOf(init.body);
    const headers = Object.fromEntries(new Headers(init.headers ?? {}));
    if (body !== undefined) headers["content-length"] = String(body.byteLength);
    if (init.body instanceof URLSearchParams && !headers["content-type"])
      headers["content-type"] = "application/x-www-form-urlencoded;charset=UTF-8";
    const client = url.protocol === "https:" ? https : http;
    return new Promise<Response>((settle, reject) => {
      const request = client.request(
        url,
        { method: init.method ?? "GET", headers, lookup, signal: init.signal, agent: false },
        (answer) => {
          const chunks: Buffer[] = [];
          let size = 0;
          answer.on("data", (chunk: Buffer) => {
            size += chunk.byteLength;
            if (size > MAX_ANSWER_BYTES) {
              request.destroy(new Error(`the answer from ${url.host} is too large`));
              return;
            }
            chunks.push(chunk);
          });
          answer.once("error", reject);
          answer.once("end", () => {
            const status = answer.statusCode ?? 502;
            const answerHeaders = new Headers();
            for (const [name, value] of Object.entries(answer.headers)) {
              if (value === undefined) continue;
              for (const each of Array.isArray(value) ? value : [value])
                answerHeaders.append(name, each);
            }
            const empty = status === 204 || status === 304 || init.method === "HEAD";
            try {
              settle(
                new Response(empty ? null : Buffer.concat(chunks), {
                  status,
                  statusText: answer.statusMessage ?? "",
                  headers: answerHeaders,
                }),
              );
            } catch (error) {
              // A status the Fetch API cannot carry (1xx, 600+): no answer.
              reject(error);
            }
          });
        },
      );
      request.once("error", reject);
      request.end(body);
    });
  };
}

function bodyOf(body: CheckedFetchInit["body"]): Buffer | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
