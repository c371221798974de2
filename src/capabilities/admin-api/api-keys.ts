import { randomBytes } from "node:crypto";
import { hashToken } from "../../core/token.js";

/**
 * Every key starts with this, so secret scanners (and people) recognise a
 * leaked one in code, logs or chat.
 */
export const API_KEY_PREFIX = "authsvc_";

/**
 * clients:write: the OpenID provider's relying parties (/admin/clients);
 * providers:write: the providers people sign in with (/admin/providers);
 * each served by its own capability.
 */
export const API_KEY_SCOPES = [
  "users:read",
  "users:write",
  "audit:read",
  "clients:write",
  "providers:write",
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** What the service keeps of a key: never the key. */
export interface ApiKeyRecord {
  id: number;
  name: string;
  /** The key's first characters, enough to tell keys apart in a list. */
  displayPrefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

export interface ApiKeyStore {
  /** @throws ApiKeyNameTakenError when a key already has this name. */
  insertApiKey(key: Omit<ApiKeyRecord, "id" | "lastUsedAt"> & { keyHash: string }): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** True when a key had this name (now deleted). */
  deleteApiKey(name: string): Promise<boolean>;
  touchApiKey(id: number, at: Date): Promise<void>;
}

export class ApiKeyNameTakenError extends Error {
  constructor(name: string) {
    super(`an API key named "${name}" already exists`);
    this.name = "ApiKeyNameTakenError";
  }
}

/** The last-used time is written at most this often, so a busy key does not write on every call. */
const LAST_USED_PRECISION_MS = 60_000;

/** 32 random bytes: 256 bits of secret after the prefix. */
const KEY_BYTES = 32;

const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

export type ApiKeyCheck =
  | { ok: true; key: ApiKeyRecord }
  | { ok: false; reason: "unknown" | "expired" };

/**
 * API keys for operators' programs (the admin API). A key is shown once, when
 * made; only its SHA-256 is stored. A fast hash is right here, unlike for
 * passwords: the key is 256 random bits, so nobody can guess it from its hash
 * however many hashes a second they compute, and a slow hash would cost every
 * admin call a few hundred milliseconds for nothing. The lookup is by the
 * hash (an index), so no string comparison of secrets leaks timing.
 */
export class ApiKeys {
  readonly #store: ApiKeyStore;
  readonly #now: () => Date;

  constructor(store: ApiKeyStore, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  /**
   * Makes a key; its text is returned here and never again.
   * @throws ApiKeyNameTakenError, or RangeError for a bad name, scope or expiry.
   */
  async create(options: {
    name: string;
    scopes: readonly string[];
    expiresAt?: Date;
  }): Promise<{ key: string; record: Omit<ApiKeyRecord, "id"> }> {
    const name = options.name.trim();
    if (!/^[\w.-]{1,64}$/.test(name)) {
      throw new RangeError("a key name is 1 to 64 letters, digits, '.', '_' or '-'");
    }
    const scopes = [...new Set(options.scopes)];
    const unknown = scopes.filter((scope) => !isApiKeyScope(scope));
    if (scopes.length === 0 || unknown.length > 0) {
      throw new RangeError(`scopes must be among ${API_KEY_SCOPES.join(", ")}`);
    }
    const now = this.#now();
    if (options.expiresAt && options.expiresAt.getTime() <= now.getTime()) {
      throw new RangeError("the expiry must be in the future");
    }
    const key = API_KEY_PREFIX + randomBytes(KEY_BYTES).toString("base64url");
    const record = {
      name,
      displayPrefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      scopes: scopes as ApiKeyScope[],
      createdAt: now,
      lastUsedAt: null,
      expiresAt: options.expiresAt ?? null,
    };
    await this.#store.insertApiKey({ ...record, keyHash: hashToken(key) });
    return { key, record };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.#store.listApiKeys();
  }

  /** True when a key had this name; it stops working at once. */
  revoke(name: string): Promise<boolean> {
    return this.#store.deleteApiKey(name);
  }

  /** The live key this text is, noting when it was last used (at most once a minute). */
  async check(text: string): Promise<ApiKeyCheck> {
    if (!text.startsWith(API_KEY_PREFIX) || text.length > 128)
      return { ok: false, reason: "unknown" };
    const key = await this.#store.findApiKeyByHash(hashToken(text));
    if (!key) return { ok: false, reason: "unknown" };
    const now = this.#now();
    if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) {
      return { ok: false, reason: "expired" };
    }
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_PRECISION_MS) {
      await this.#store.touchApiKey(key.id, now);
    }
    return { ok: true, key };
  }
}

export function isApiKeyScope(scope: string): scope is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(scope);
}
