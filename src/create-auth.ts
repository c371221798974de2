import { Auth } from "./auth/auth.js";
import type { AuthEventListener } from "./auth/events.js";
import {
  type AuthSettings,
  assertValidAuthSettings,
  resolveAuthSettings,
} from "./auth/settings.js";
import type { AuthStore } from "./auth/store.js";
import { connect } from "./db/connect.js";
import { DB } from "./db/db.js";
import { KyselyStore } from "./db/kysely-store.js";
import { RedisThrottleStore } from "./db/redis-throttle-store.js";
import { mapUnavailable } from "./db/unavailable.js";

export interface CreateAuthOptions extends Partial<AuthSettings> {
  /** `sqlite:<path>` (default `sqlite:auth.db`), `sqlite::memory:` or `postgres://...`. */
  databaseUrl?: string;
  /** Most connections in the PostgreSQL pool (default 10). */
  databasePoolSize?: number;
  /** Longest wait for the database in ms before an operation fails as unavailable (default 5000). */
  databaseTimeoutMs?: number;
  /** Bring the schema up to date before returning (default true). */
  migrate?: boolean;
  /** Keep login throttling state in this Redis instead of the database. */
  redisUrl?: string;
  /** Prefix of every Redis key (default "auth:throttle:"). */
  redisKeyPrefix?: string;
  /** The clock, for tests that cross expiry times. */
  now?: () => Date;
  /** Told of every login, registration, reset, logout and hash (metrics, audit). */
  onEvent?: AuthEventListener;
}

/** An opened authentication library: the domain, the original's DB API, and how to close both. */
export interface AuthService {
  auth: Auth;
  db: DB;
  store: AuthStore;
  close(): Promise<void>;
}

/**
 * Opens the database, runs pending migrations and returns `Auth` and `DB` over it.
 *
 * ```ts
 * const { auth, db, close } = await createAuth({ databaseUrl: "sqlite:auth.db" });
 * await auth.registerUser("bob@example.com", "correct horse");
 * ```
 */
export async function createAuth(options: CreateAuthOptions = {}): Promise<AuthService> {
  const {
    databaseUrl = "sqlite:auth.db",
    databasePoolSize,
    databaseTimeoutMs,
    migrate = true,
    redisUrl,
    redisKeyPrefix,
    now,
    onEvent,
    ...partial
  } = options;
  const settings = resolveAuthSettings(partial);
  assertValidAuthSettings(settings);
  const { db: kysely, dialect } = connect({
    url: databaseUrl,
    poolSize: databasePoolSize,
    timeoutMs: databaseTimeoutMs,
  });
  const store = mapUnavailable(new KyselyStore(kysely, dialect));
  const redis = redisUrl
    ? new RedisThrottleStore({
        url: redisUrl,
        keyPrefix: redisKeyPrefix,
        timeoutMs: databaseTimeoutMs,
      })
    : undefined;
  const close = async () => {
    await redis?.close();
    await store.close();
  };
  try {
    if (migrate) await store.migrate();
    await redis?.connect();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    auth: new Auth({ store, throttleStore: redis, settings, now, onEvent }),
    db: new DB(store, now),
    store,
    close,
  };
}
