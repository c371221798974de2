import { promises as dns } from "node:dns";
import type { LookupFunction } from "node:net";
import type { InternalKind } from "./address-ranges.js";
import type { OutboundTargetPolicy } from "./target-policy.js";

export interface ResolvedAddress {
  address: string;
  /** 4 or 6 */
  family: number;
}

/** A host name to every address it has now (as dns.lookup with `all`). */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system's resolver (getaddrinfo: /etc/hosts, then DNS), as every other connection uses. */
export const systemResolver: HostResolver = (hostname) =>
  dns.lookup(hostname, { all: true, order: "verbatim" });

/** An outbound request's host is, or resolves to, an address the policy refuses. */
export class RefusedTargetError extends Error {
  readonly code = "ETARGETREFUSED";
  readonly kind: InternalKind;

  constructor(hostname: string, address: string, kind: InternalKind, setting: string) {
    super(
      `${hostname} is at ${address}, a ${kind} address: not allowed (${setting} lists the exceptions)`,
    );
    this.name = "RefusedTargetError";
    this.kind = kind;
  }
}

/**
 * The `lookup` an outbound connection (a webhook's, an identity provider's) uses: the name is resolved once, every
 * address it has is checked, and the connection is handed exactly those
 * checked addresses. Nothing resolves the name again between the check and
 * the connect, so a name that changes its address in between (DNS
 * rebinding) cannot slip an internal address past the check.
 */
export function checkedLookup(resolve: HostResolver, policy: OutboundTargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        for (const { address } of addresses) {
          const refusal = policy.refusalOf(hostname, address);
          if (refusal)
            return callback(new RefusedTargetError(hostname, address, refusal, policy.setting), "");
        }
        const family = familyOf(options.family);
        const usable = addresses.filter((entry) => family === 0 || entry.family === family);
        const [first] = usable;
        if (!first) return callback(notFound(hostname), "");
        if (options.all)
          return callback(
            null,
            usable.map((entry) => ({ ...entry })),
          );
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}

function familyOf(family: number | "IPv4" | "IPv6" | undefined): number {
  if (family === "IPv4") return 4;
  if (family === "IPv6") return 6;
  return family ?? 0;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  error.code = "ENOTFOUND";
  return error;
}
