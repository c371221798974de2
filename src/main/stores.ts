import type BetterSqlite3 from "better-sqlite3";
import type { Kysely } from "kysely";
import { KyselyEmailTokenStore } from "../capabilities/email-addresses/kysely-store.js";
import { EMAIL_TOKEN_WRITES_CHANGING_SESSIONS } from "../capabilities/email-addresses/store.js";
import { KyselyPasskeyStore } from "../capabilities/passkeys/kysely-passkey-store.js";
import { KyselyResetTokenStore } from "../capabilities/password-reset/kysely-store.js";
import { RESET_TOKEN_WRITES_CHANGING_SESSIONS } from "../capabilities/password-reset/store.js";
import { KyselyMfaStore } from "../capabilities/second-factor/kysely-store.js";
import { KyselySocialStore } from "../capabilities/social-login/kysely-store.js";
import type { ErasureStep } from "../core/store/erasure.js";
import { KyselyStore } from "../core/store/kysely-store.js";
import { mapUnavailable } from "../core/store/map-unavailable.js";
import { withPostgresSessionCache } from "../core/store/pg-session-cache.js";
import { type SessionCache, withSessionCache } from "../core/store/session-cache.js";
import { SessionChangeListener } from "../core/store/session-change-listener.js";
import type { TakeBackStep } from "../core/store/take-back.js";
import type { AuthStore } from "../core/store.js";
import type { Database, Dialect } from "../platform/db/schema.js";
import type { CapabilityStores } from "./auth.js";
import { CAPABILITIES } from "./capabilities.js";

/** What every take-back of an account voids, whoever does it (core/store/take-back.ts). */
const TAKE_BACK: readonly TakeBackStep[] = CAPABILITIES.flatMap(
  (capability) => capability.takeBack ?? [],
);

/** What every erasure of an account deletes besides the core's rows (core/store/erasure.ts). */
const ERASURE: readonly ErasureStep[] = CAPABILITIES.flatMap(
  (capability) => capability.erasure ?? [],
);

/**
 * The core's store with its session cache, and the capabilities' stores over
 * the same database: each mapping an unreachable database to 503, and the
 * writes of theirs that change a user or end sessions emptying the cache.
 */
export function openStores(
  kysely: Kysely<Database>,
  dialect: Dialect,
  options: {
    sessionCache: boolean;
    sqlite: BetterSqlite3.Database | undefined;
    postgresUrl: string | undefined;
  },
): {
  store: AuthStore;
  stores: CapabilityStores;
  listener?: SessionChangeListener;
  /** PostgreSQL: also calls `forget` when this process's writes empty the session cache. */
  alsoForget?: (forget: () => void) => void;
} {
  const { cache, listener } = withCache(new KyselyStore(kysely, dialect, TAKE_BACK, ERASURE), {
    ...options,
    kysely,
  });
  const watched = <S extends object>(store: S, writes: ReadonlySet<string>) =>
    mapUnavailable(cache.invalidating(store, writes));
  return {
    alsoForget: cache.alsoForget,
    store: mapUnavailable(cache.store),
    stores: {
      secondFactors: mapUnavailable(new KyselyMfaStore(kysely, TAKE_BACK)),
      emailTokens: watched(new KyselyEmailTokenStore(kysely), EMAIL_TOKEN_WRITES_CHANGING_SESSIONS),
      passkeys: mapUnavailable(new KyselyPasskeyStore(kysely)),
      social: mapUnavailable(new KyselySocialStore(kysely)),
      resetTokens: watched(
        new KyselyResetTokenStore(kysely, TAKE_BACK),
        RESET_TOKEN_WRITES_CHANGING_SESSIONS,
      ),
    },
    listener,
  };
}

/**
 * The store with its session cache: SQLite's (the write-ahead log tells of
 * other processes' commits) or PostgreSQL's (a listener hears the triggers'
 * notices). Without a cache, the store as it is.
 */
function withCache(
  store: KyselyStore,
  options: {
    sessionCache: boolean;
    kysely: Kysely<Database>;
    sqlite: BetterSqlite3.Database | undefined;
    postgresUrl: string | undefined;
  },
): { cache: SessionCache<AuthStore>; listener?: SessionChangeListener } {
  const none = { store, invalidating: <S extends object>(other: S) => other };
  if (!options.sessionCache) return { cache: none };
  if (options.sqlite) return { cache: withSessionCache(store, options.kysely, options.sqlite) };
  if (!options.postgresUrl) return { cache: none };
  let cache: ReturnType<typeof withPostgresSessionCache> | undefined;
  const listener = new SessionChangeListener({
    url: options.postgresUrl,
    onChange: (change) => cache?.onChange(change),
    onStateChange: () => cache?.reset(),
  });
  cache = withPostgresSessionCache(store, listener);
  return { cache, listener };
}
