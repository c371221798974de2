import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";

/** Who may set the client's address: nobody, the N proxies in front, or these addresses and ranges. */
export type TrustProxy = false | number | readonly string[];

type FastifyTrustProxy = false | string[] | ((address: string, hop: number) => boolean);

/**
 * Fastify's `trustProxy` for our setting. A hop count becomes a function:
 * Fastify 5 reads a bare number as "trust nobody" (it cannot check the peer),
 * so `1` would silently leave every client looking like the proxy. With N
 * proxies in front, the socket's peer and the N-1 entries they appended are
 * trusted, and the client is the entry the outermost proxy wrote: the N-th
 * from the right of X-Forwarded-For. Entries further left were written by the
 * client itself and are never read.
 */
export function fastifyTrustProxy(setting: TrustProxy | boolean): FastifyTrustProxy {
  if (setting === true) {
    throw new Error(
      "trustProxy: true would believe whatever a client writes in X-Forwarded-For; give the number of proxies in front (e.g. 1) or their addresses",
    );
  }
  if (setting === false || setting === 0) return false;
  if (typeof setting === "number") {
    const hops = setting;
    return (_address, hop) => hop < hops;
  }
  return [...setting];
}

/**
 * The client's address as the proxies we trust report it, and always an IP
 * address: a trusted proxy that passes a malformed entry along does not get
 * to put arbitrary text into throttling keys or the audit trail; the peer's
 * own address stands in for it.
 */
export function clientAddress(request: FastifyRequest): string {
  const ip = requestIp(request);
  if (isIP(ip) !== 0) return ip;
  // Some load balancers write "address:port" ("[v6]:port" for IPv6).
  const withoutPort = /^\[([^\]]+)\]:\d+$/.exec(ip)?.[1] ?? /^([\d.]+):\d+$/.exec(ip)?.[1];
  if (withoutPort !== undefined && isIP(withoutPort) !== 0) return withoutPort;
  return peerAddress(request);
}

/**
 * Node drops `request.raw.socket` once a connection is torn down, and both
 * Fastify's `request.ip` and `@fastify/forwarded` read it unguarded. A request
 * can still be logged after that (its answer finished on a closed socket), so
 * nothing here may throw: an address that can no longer be read is "".
 */
function requestIp(request: FastifyRequest): string {
  if (!request.raw.socket) return "";
  return request.ip ?? "";
}

function peerAddress(request: FastifyRequest): string {
  return request.raw.socket?.remoteAddress ?? "";
}
