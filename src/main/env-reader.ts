import { isIP } from "node:net";
import { parseDuration } from "../platform/text/duration.js";

export { parseDuration };

import { type AuthMode, isDisplayLabel } from "../core/settings.js";
import { parseSecretKey } from "../platform/crypto/secret-box.js";
import { parseAllowedHost } from "../platform/net/target-policy.js";

/** Environment variables as config.ts receives them. */
export type Env = Record<string, string | undefined>;

import type { TrustProxy } from "../platform/http/client-address.js";

export type { TrustProxy };

const PROXY_ADDRESS_NAMES = ["loopback", "linklocal", "uniquelocal"];

/** An IP address, a CIDR range (address/prefix), or one of proxy-addr's names. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_ADDRESS_NAMES.includes(entry)) return true;
  const [address = "", prefix, extra] = entry.split("/");
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Reads typed values and records what is wrong instead of stopping at the first problem. */
export class EnvReader {
  readonly #env: Env;
  readonly #problems: string[];

  constructor(env: Env, problems: string[]) {
    this.#env = env;
    this.#problems = problems;
  }

  mode(): AuthMode {
    const mode = this.oneOf<AuthMode>("AUTH_MODE", ["development", "production"], "development");
    // NODE_ENV=production alone is enough: forgetting AUTH_MODE must not leave production in development mode.
    return this.#value("NODE_ENV") === "production" ? "production" : mode;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.#value(name);
    if (text === undefined) return fallback;
    const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.#problems.push(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
      return fallback;
    }
    return value;
  }

  duration(name: string, fallback: number): number {
    const text = this.#value(name);
    if (text === undefined) return fallback;
    const value = parseDuration(text);
    if (!Number.isSafeInteger(value) || value <= 0) {
      this.#problems.push(
        `${name} must be a positive duration such as 90, 30s, 15m, 12h or 30d (got "${text}")`,
      );
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const text = this.#value(name);
    if (text === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(text)) {
      this.#problems.push(`${name} must be one of ${allowed.join(", ")} (got "${text}")`);
      return fallback;
    }
    return text as T;
  }

  /** A short label: printable characters, no colon, 1 to 64 of them. */
  /** Records a problem found by the caller (a value checked beyond its type). */
  problem(message: string): void {
    this.#problems.push(message);
  }

  label(name: string, fallback: string): string {
    const text = this.#value(name);
    if (text === undefined) return fallback;
    if (!isDisplayLabel(text)) {
      this.#problems.push(
        `${name} must be 1 to 64 printable characters without a colon (got "${text}")`,
      );
      return fallback;
    }
    return text;
  }

  boolean(name: string, fallback: boolean): boolean {
    const text = this.#value(name)?.toLowerCase();
    if (text === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(text)) return true;
    if (["0", "false", "no", "off"].includes(text)) return false;
    this.#problems.push(`${name} must be true or false (got "${text}")`);
    return fallback;
  }

  /**
   * "false"/"0" (the default), a hop count ("1": one proxy in front), or a
   * comma-separated list of proxy addresses and CIDR ranges (proxy-addr's
   * names loopback, linklocal and uniquelocal too). "true" is refused: it
   * would believe the client's own leftmost X-Forwarded-For entry.
   */
  trustProxy(name: string): TrustProxy {
    const text = this.#value(name)?.toLowerCase();
    if (text === undefined || text === "false" || text === "0") return false;
    if (text === "true") {
      this.#problems.push(
        `${name}=true would believe whatever a client writes in X-Forwarded-For: give the number of proxies in front of the service (e.g. ${name}=1) or their addresses (e.g. ${name}=10.0.0.0/8)`,
      );
      return false;
    }
    if (/^\d+$/.test(text)) return this.integer(name, 0, 0, 100);
    const entries = text.split(",").map((entry) => entry.trim());
    const invalid = entries.filter((entry) => !isProxyAddress(entry));
    if (invalid.length > 0) {
      this.#problems.push(
        `${name} must be false, a number of proxies, or proxy addresses and CIDR ranges (not "${invalid.join('", "')}")`,
      );
      return false;
    }
    return entries;
  }

  redisUrl(name: string): string | undefined {
    const text = this.#value(name);
    if (text === undefined) return undefined;
    if (!/^rediss?:\/\//.test(text)) {
      this.#problems.push(`${name} must be a redis:// or rediss:// URL`);
      return undefined;
    }
    return text;
  }

  origins(name: string): string[] {
    const text = this.#value(name);
    if (text === undefined) return [];
    const origins: string[] = [];
    for (const item of text
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean)) {
      try {
        const url = new URL(item);
        if (url.origin === "null" || !/^https?:$/.test(url.protocol)) throw new Error();
        origins.push(url.origin);
      } catch {
        this.#problems.push(
          `${name} must list origins such as https://app.example.com (got "${item}")`,
        );
      }
    }
    return origins;
  }

  /** Comma-separated host names, IP addresses and CIDR ranges; none when unset. */
  hosts(name: string): string[] {
    const entries = (this.#value(name) ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    const invalid = entries.filter((entry) => parseAllowedHost(entry) === null);
    if (invalid.length > 0) {
      this.#problems.push(
        `${name} must list host names, IP addresses or CIDR ranges such as hooks.internal, 10.0.0.5 or 10.0.0.0/8 (not "${invalid.join('", "')}")`,
      );
      return [];
    }
    return entries;
  }

  /** A URL with one of these protocols, without query or fragment; undefined when unset. */
  url(name: string, protocols: readonly string[]): string | undefined {
    const text = this.#value(name);
    if (text === undefined) return undefined;
    try {
      const url = new URL(text);
      if (!protocols.includes(url.protocol) || url.search || url.hash) throw new Error();
      return text;
    } catch {
      const schemes = protocols.map((protocol) => `${protocol}//`).join(" or ");
      this.#problems.push(`${name} must be a ${schemes} URL without query or fragment`);
      return undefined;
    }
  }

  /** "name@domain" or "Display Name <name@domain>", on one line. */
  mailbox(name: string): string | undefined {
    const text = this.#value(name);
    if (text === undefined) return undefined;
    if (!/^(?:[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(text)) {
      this.#problems.push(
        `${name} must be an address such as no-reply@example.com or "Example <no-reply@example.com>"`,
      );
      return undefined;
    }
    return text;
  }

  /** 64 hex characters or 32+ bytes in base64; the message never repeats the value. */
  secretKey(name: string): string | undefined {
    const text = this.#value(name);
    if (text === undefined) return undefined;
    try {
      parseSecretKey(text);
      return text;
    } catch {
      this.#problems.push(
        `${name} must be 64 hex characters or at least 32 random bytes in base64 (e.g. the output of \`openssl rand -hex 32\`)`,
      );
      return undefined;
    }
  }

  /** A cookie name as RFC 6265 allows (an HTTP token). */
  cookieName(name: string, fallback: string): string {
    const text = this.#value(name);
    if (text === undefined) return fallback;
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(text)) {
      this.#problems.push(`${name} must be a cookie name: letters, digits and !#$%&'*+-.^_\`|~`);
      return fallback;
    }
    return text;
  }

  /** True when the variable is absent or blank (so a present but invalid one is reported once). */
  isUnset(name: string): boolean {
    return this.#value(name) === undefined;
  }

  #value(name: string): string | undefined {
    const text = this.#env[name]?.trim();
    return text === undefined || text === "" ? undefined : text;
  }
}
