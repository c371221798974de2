import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { AuthMode } from "../core/settings.js";
import {
  generateSecretKey,
  parseSecretKey,
  SECRET_KEY_REQUIRED,
} from "../platform/crypto/secret-box.js";
import { parseDatabaseUrl } from "../platform/db/database-url.js";
import { ConfigError } from "./config.js";

/** Where development keeps the key it generated when SECRET_KEY is unset. */
export function developmentKeyPath(databaseUrl: string): string | null {
  const { dialect, location } = parseDatabaseUrl(databaseUrl);
  if (dialect === "postgres") return resolve(".auth-service-secret-key");
  // An in-memory database lives as long as the process: so may its key.
  if (location === ":memory:" || location === "") return null;
  return `${resolve(location)}.secret-key`;
}

/**
 * The key in `path`, made (mode 0600) when the file does not exist yet.
 * Written to a temporary file and linked into place, so processes starting
 * together (`serve --workers`) all end up with the one key that won.
 */
export function loadOrCreateKeyFile(path: string): Buffer {
  try {
    return parseSecretKey(readFileSync(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temporary, `${generateSecretKey()}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(temporary);
  }
  return parseSecretKey(readFileSync(path, "utf8"));
}

/**
 * The key secrets are sealed under: the one given (SECRET_KEY), or in
 * development one generated once and kept in `file` (a fresh random one for
 * an in-memory database, which lives no longer than the process).
 * @throws ConfigError in production without a key.
 */
export function resolveSecretKey(
  given: string | Uint8Array | undefined,
  mode: AuthMode,
  databaseUrl: string,
): { key: Buffer; file?: string } {
  if (typeof given === "string") return { key: parseSecretKey(given) };
  if (given !== undefined) return { key: Buffer.from(given) };
  if (mode === "production") throw new ConfigError([SECRET_KEY_REQUIRED]);
  const file = developmentKeyPath(databaseUrl);
  if (file === null) return { key: randomBytes(32) };
  return { key: loadOrCreateKeyFile(file), file };
}
