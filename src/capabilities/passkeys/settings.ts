import { isIP } from "node:net";
import type { AuthMode } from "../../core/settings.js";

/** The relying party passkeys are made for, and the pages they may be used from. */
export interface PasskeySettings {
  /** WEBAUTHN_RP_ID: the domain a passkey is bound to (never an IP address). */
  rpId: string;
  /** The name authenticators show beside the passkey. */
  rpName: string;
  /**
   * The origins (scheme://host[:port]) a ceremony may come from. A function:
   * development's default names the port the server listens on, known only
   * once it listens.
   */
  origins: () => readonly string[];
}

/** What configuration says of the relying party (config.ts fills it from the environment). */
export interface PasskeyConfig {
  rpId: string;
  rpName: string;
  /** Undefined: development's default, http://localhost:<the port listened on>. */
  origins: readonly string[] | undefined;
}

export const DEFAULT_RP_NAME = "auth-service";

/** A DNS name as WebAuthn takes it: lower-case labels, no IP address, no port. */
const DOMAIN =
  /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The relying party from configuration: WEBAUTHN_RP_ID (default: the host
 * of PUBLIC_URL in production, `localhost` in development) and the allowed
 * origins (default: PUBLIC_URL's origin in production; in development
 * http://localhost:<PORT>). `problems` gets each mismatch, so production
 * refuses to start on one instead of failing at the first passkey.
 */
export function resolvePasskeyConfig(
  given: { rpId: string | undefined; rpName: string; origins: readonly string[] },
  context: { mode: AuthMode; publicUrl: string | undefined },
  problems: string[],
): PasskeyConfig {
  const publicHost = hostOf(context.publicUrl);
  const production = context.mode === "production";
  const rpId = (given.rpId ?? (production ? publicHost : undefined) ?? "localhost").toLowerCase();
  const origins =
    given.origins.length > 0
      ? given.origins
      : production && context.publicUrl
        ? [new URL(context.publicUrl).origin]
        : undefined;
  if (!DOMAIN.test(rpId) || isIP(rpId) !== 0) {
    problems.push(`WEBAUTHN_RP_ID must be a domain name such as example.com, not "${rpId}"`);
  } else {
    if (production && publicHost !== undefined && !isWithin(publicHost, rpId))
      problems.push(
        `WEBAUTHN_RP_ID (${rpId}) must be PUBLIC_URL's host (${publicHost}) or a domain it is under`,
      );
    for (const origin of origins ?? []) {
      const url = new URL(origin);
      if (!isWithin(url.hostname, rpId))
        problems.push(`WEBAUTHN_ORIGINS: ${origin} is not on ${rpId} or one of its subdomains`);
      else if (url.protocol !== "https:" && url.hostname !== "localhost")
        problems.push(`WEBAUTHN_ORIGINS: ${origin} must be https (only localhost may be http)`);
    }
  }
  return { rpId, rpName: given.rpName, origins };
}

/** The settings the ceremonies use; `port()`: where the server listens (development's default origin). */
export function passkeySettings(config: PasskeyConfig, port: () => number): PasskeySettings {
  const { origins } = config;
  return {
    rpId: config.rpId,
    rpName: config.rpName,
    origins: origins ? () => origins : () => [`http://localhost:${port()}`],
  };
}

function hostOf(url: string | undefined): string | undefined {
  return url === undefined ? undefined : new URL(url).hostname.toLowerCase();
}

/** True when `host` is `domain` or one of its subdomains. */
function isWithin(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}
