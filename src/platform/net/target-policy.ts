import { BlockList, isIP } from "node:net";
import { carriedIpv4, type InternalKind, internalKindOf } from "./address-ranges.js";

/** One entry of an allow-list setting (WEBHOOK_ALLOWED_HOSTS, SOCIAL_ALLOWED_HOSTS), understood. */
export type AllowedHost =
  | { kind: "name"; name: string }
  | { kind: "address"; address: string; version: 4 | 6 }
  | { kind: "subnet"; network: string; prefix: number; version: 4 | 6 };

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * A host name, an IP address (IPv6 with or without brackets) or a CIDR
 * range, as an allow-list setting lists them; null for anything else.
 */
export function parseAllowedHost(entry: string): AllowedHost | null {
  const text = entry.trim().toLowerCase();
  const [network = "", prefixText, extra] = text.split("/");
  const bare = network.replace(/^\[(.*)\]$/, "$1");
  const version = isIP(bare);
  if (version === 4 || version === 6) {
    if (extra !== undefined) return null;
    if (prefixText === undefined) return { kind: "address", address: bare, version };
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (!(prefix <= (version === 4 ? 32 : 128))) return null;
    return { kind: "subnet", network: bare, prefix, version };
  }
  const name = text.replace(/\.$/, "");
  return prefixText === undefined && HOST_NAME.test(name) ? { kind: "name", name } : null;
}

export interface TargetPolicyOptions {
  /** Production refuses internal addresses; development allows loopback besides. */
  mode: "development" | "production";
  /** Host names, addresses and CIDR ranges allowed although internal. */
  allowedHosts?: readonly string[];
  /** The setting that lists them, named in a refusal (e.g. WEBHOOK_ALLOWED_HOSTS). */
  setting?: string;
}

/**
 * Where the service's own outbound requests (webhooks, an identity
 * provider's endpoints) may go: anywhere public, and internal addresses (loopback,
 * private, link-local, unique-local, unspecified, multicast, reserved; see
 * address-ranges.ts) only when the operator lists the host name or the
 * address. Development also allows loopback, where its receivers run.
 * Checked when an endpoint is added and again for every address a name
 * resolves to at delivery (checked-lookup.ts).
 */
export class OutboundTargetPolicy {
  /** The setting that lists the exceptions, for a refusal's words. */
  readonly setting: string;
  readonly #allowLoopback: boolean;
  readonly #names = new Set<string>();
  readonly #addresses = new BlockList();

  constructor(options: TargetPolicyOptions) {
    this.setting = options.setting ?? "the allowed hosts setting";
    this.#allowLoopback = options.mode === "development";
    for (const entry of options.allowedHosts ?? []) {
      const allowed = parseAllowedHost(entry);
      if (!allowed) throw new Error(`not a host name, IP address or CIDR range: "${entry}"`);
      if (allowed.kind === "name") this.#names.add(allowed.name);
      else if (allowed.kind === "address")
        this.#addresses.addAddress(allowed.address, `ipv${allowed.version}`);
      else this.#addresses.addSubnet(allowed.network, allowed.prefix, `ipv${allowed.version}`);
    }
  }

  /**
   * Why a connection to `address`, reached through host `hostname`, is
   * refused; null when it is allowed.
   */
  refusalOf(hostname: string, address: string): InternalKind | null {
    const kind = internalKindOf(address);
    if (kind === null) return null;
    if (kind === "loopback" && this.#allowLoopback) return null;
    if (this.#names.has(normalHostName(hostname))) return null;
    if (this.#listsAddress(address)) return null;
    return kind;
  }

  /**
   * The refusal for a URL's host when it says where it goes without a look-up:
   * an IP address in any spelling the URL parser accepts (2130706433,
   * 0x7f.1, [::ffff:127.0.0.1]) or a name of the host itself (localhost,
   * *.localhost, which resolvers answer locally). Null for other names: they
   * are checked once resolved.
   */
  refusalOfUrlHost(url: URL): InternalKind | null {
    const host = bareHost(url);
    if (isIP(host) !== 0) return this.refusalOf(host, host);
    if (isLocalName(host)) return this.refusalOf(host, "127.0.0.1") && this.refusalOf(host, "::1");
    return null;
  }

  /** True when the URL's host is a name that a resolver answers (not an address, not localhost). */
  isResolvedName(url: URL): boolean {
    const host = bareHost(url);
    return isIP(host) === 0 && !isLocalName(host);
  }

  #listsAddress(address: string): boolean {
    const bare = address.replace(/%.*$/, "");
    const version = isIP(bare);
    if (version === 4) return this.#addresses.check(bare, "ipv4");
    if (this.#addresses.check(bare, "ipv6")) return true;
    const carried = carriedIpv4(bare);
    return carried !== null && this.#addresses.check(carried, "ipv4");
  }
}

function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** localhost and its subdomains, which resolvers answer with this host (RFC 6761). */
function isLocalName(host: string): boolean {
  const name = normalHostName(host);
  return name === "localhost" || name.endsWith(".localhost");
}

function normalHostName(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, "");
}
