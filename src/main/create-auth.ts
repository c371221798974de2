import { ApiKeys } from "../capabilities/admin-api/api-keys.js";
import { KyselyApiKeyStore } from "../capabilities/admin-api/kysely-store.js";
import { UserAdmin } from "../capabilities/admin-api/user-admin.js";
import { AuditTrail } from "../capabilities/audit/audit.js";
import { KyselyAuditStore } from "../capabilities/audit/kysely-store.js";
import {
  OidcCoupling,
  type OidcStores,
  openOidcStores,
} from "../capabilities/oidc-provider/index.js";
import type { Passkeys } from "../capabilities/passkeys/passkeys.js";
import { DEFAULT_RP_NAME } from "../capabilities/passkeys/settings.js";
import { KyselyWebhookStore } from "../capabilities/webhooks/kysely-store.js";
import { Webhooks, type WebhooksOptions } from "../capabilities/webhooks/webhooks.js";
import type { AuthEventListener } from "../core/events.js";
import type { Brand } from "../core/pages/page-context.js";
import {
  type AuthSettings,
  assertValidAuthSettings,
  resolveAuthSettings,
} from "../core/settings.js";
import { mapUnavailable } from "../core/store/map-unavailable.js";
import { RedisThrottleStore } from "../core/store/redis-throttle-store.js";
import type { AuthStore } from "../core/store.js";
import { SecretBox } from "../platform/crypto/secret-box.js";
import { connect } from "../platform/db/connect.js";
import type { PoolState } from "../platform/db/pool-state.js";
import type { Language } from "../platform/i18n/languages.js";
import { KyselyOutboxStore } from "../platform/mail/kysely-outbox-store.js";
import {
  OutboxWorker,
  type OutboxWorkerOptions,
  type WorkerLogger,
} from "../platform/mail/outbox-worker.js";
import type { MailTransport } from "../platform/mail/transport.js";
import { Auth, type CapabilityStores, type SocialOutboundOptions } from "./auth.js";
import { DB } from "./db.js";
import { serviceMails } from "./mails.js";
import { resolveSecretKey } from "./secret-key-file.js";
import { openStores } from "./stores.js";

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
  /**
   * Keep session lookups in process memory, emptied by any write that could
   * revoke one, here or in another process: SQLite reads its write-ahead
   * log's header, PostgreSQL listens for a trigger's NOTIFY (default true).
   */
  sessionCache?: boolean;
  /** Record events in the audit_log table (default true). */
  audit?: boolean;
  /**
   * Mail reset links and password-change notices through this transport (via
   * the outbox table). Production needs it; `outbox.start()` begins sending.
   */
  mail?: MailOptions;
  /** Where the outbox and the audit trail report trouble (never secrets). */
  logger?: WorkerLogger;
  /**
   * The key that encrypts secrets the service reads back (TOTP secrets,
   * webhook signing secrets): 64 hex characters or 32+ bytes in base64, or the bytes. Without
   * it, development generates one beside the SQLite file (`<path>.secret-key`)
   * or in `./.auth-service-secret-key` (PostgreSQL); production refuses to
   * seal or open secrets.
   */
  secretKey?: string | Uint8Array;
  /** Delivery timings of signed webhooks (tests shorten them) and a per-attempt callback. */
  webhooks?: WebhooksOptions;
  /** The relying party of passkeys (default: localhost, served at http://localhost:5000). */
  webauthn?: WebAuthnOptions;
  /** Where identity providers may be although internal (SOCIAL_ALLOWED_HOSTS); tests stand in for DNS. */
  social?: SocialOutboundOptions;
}

export interface WebAuthnOptions {
  /** The domain passkeys are bound to (default "localhost"). */
  rpId?: string;
  /** The name authenticators show (default "auth-service"). */
  rpName?: string;
  /** Origins ceremonies may come from, or where to read them when asked (default http://localhost:5000). */
  origins?: readonly string[] | (() => readonly string[]);
}

export interface MailOptions {
  transport: MailTransport;
  /** Links in mails start with it, e.g. https://auth.example.com. */
  publicUrl: string;
  /** The language of a mail queued without one (DEFAULT_LANGUAGE; English by default). */
  defaultLanguage?: Language;
  /** The name and colour mails sign with (BRAND_NAME, BRAND_COLOR). */
  brand?: Brand;
  /** Retry and polling timings of the outbox (tests shorten them). */
  worker?: Pick<
    OutboxWorkerOptions,
    "pollIntervalMs" | "leaseMs" | "maxAttempts" | "retryBaseMs" | "retryMaxMs"
  >;
}

/** An opened authentication library: the domain, the original's DB API, and how to close both. */
export interface AuthService {
  auth: Auth;
  db: DB;
  store: AuthStore;
  /** The capabilities' stores over the same database (second factors, email and reset tokens). */
  stores: CapabilityStores;
  /** The audit trail's writer (flush() waits for pending rows) and reader. */
  audit: AuditTrail;
  /** The migrations this start applied, in order (none when the schema was up to date). */
  appliedMigrations: string[];
  /** Keys of the admin API (`auth-service api-key`): make, list, revoke, check. */
  apiKeys: ApiKeys;
  /** What an operator does to users: list, show, create, delete, end sessions. */
  users: UserAdmin;
  /** Present when mail is configured; not sending until start(). */
  outbox: OutboxWorker | undefined;
  /** Signed webhooks: add, list, remove, test endpoints; `webhooks.worker.start()` begins delivering. */
  webhooks: Webhooks;
  /** Passkeys (WebAuthn): options, registration, sign-in, list, rename, remove. */
  passkeys: Passkeys;
  /** The OpenID provider's stores: clients, signing keys, subjects, what it keeps. */
  oidc: OidcStores;
  /** The database connections: open, idle, waited for (for /metrics). */
  poolState(): PoolState;
  /** Deletes expired sessions, tokens, throttle rows, old audit rows and failed mail. */
  purgeExpired(): Promise<void>;
  /** Stops the outbox and the webhook worker, writes pending audit and webhook rows, closes the connections. */
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
    audit: auditEnabled = true,
    sessionCache = true,
    mail,
    logger,
    secretKey,
    webhooks: webhookOptions,
    webauthn = {},
    social,
    ...partial
  } = options;
  const settings = resolveAuthSettings(partial);
  assertValidAuthSettings(settings);
  const {
    db: kysely,
    dialect,
    poolState,
    sqlite,
  } = connect({
    url: databaseUrl,
    poolSize: databasePoolSize,
    timeoutMs: databaseTimeoutMs,
  });
  const { store, stores, listener, alsoForget } = openStores(kysely, dialect, {
    sessionCache,
    sqlite,
    postgresUrl: dialect === "postgres" ? databaseUrl : undefined,
  });
  const auditStore = mapUnavailable(new KyselyAuditStore(kysely, sqlite));
  const audit = new AuditTrail(auditStore, {
    now,
    onError: (error, dropped) =>
      logger?.error({ err: error, dropped }, "audit rows could not be written"),
  });
  const redis = redisUrl
    ? new RedisThrottleStore({
        url: redisUrl,
        keyPrefix: redisKeyPrefix,
        timeoutMs: databaseTimeoutMs,
      })
    : undefined;
  // The worker makes reset tokens through Auth, and Auth queues mail through
  // the worker: the arrow defers the reference until a mail is sent.
  const outbox = mail
    ? new OutboxWorker({
        ...mail.worker,
        store: mapUnavailable(new KyselyOutboxStore(kysely)),
        transport: mail.transport,
        composers: serviceMails({
          publicUrl: mail.publicUrl,
          defaultLanguage: mail.defaultLanguage,
          brand: mail.brand,
          lifetimeMinutes: Math.round(settings.resetTokenLifetime / 60_000),
          issueResetToken: (email) => auth.issueResetToken(email, { mailed: true }),
          tokenForMail: (refId, email) => auth.emailAddresses.tokenForMail(refId, email),
        }),
        logger,
        now,
      })
    : undefined;
  let sealing: SecretBox | undefined;
  // Made at the first secret sealed or opened, so a service that never keeps
  // one never writes a development key file.
  const secretBox = () => {
    sealing ??= new SecretBox(resolveSecretKey(secretKey, settings.mode, databaseUrl).key);
    return sealing;
  };
  const webhooks = new Webhooks({
    store: mapUnavailable(new KyselyWebhookStore(kysely)),
    secretBox,
    mode: settings.mode,
    logger,
    now,
    options: webhookOptions,
  });
  const { origins = ["http://localhost:5000"] } = webauthn;
  const millis = now ? () => now().getTime() : Date.now;
  const oidc = openOidcStores({
    db: kysely,
    sqlite,
    notices: listener,
    alsoForget,
    cache: sessionCache,
    millis,
    secretBox,
  });
  const eventWriters = [...(auditEnabled ? [audit] : []), webhooks];
  const auth = new Auth({
    store,
    stores,
    throttleStore: redis,
    settings,
    now,
    onEvent,
    // The audit trail and webhooks write rows for the domain's events (a
    // change's in its own transaction); Auth never calls them by name.
    recorders: [
      ...eventWriters,
      // Its take-back's own event (tokens revoked) goes to the writers in the same transaction.
      new OidcCoupling(oidc.subjects, millis, async (event, tx) => {
        for (const writer of eventWriters) await writer.recordIn(event, tx);
      }),
    ],
    onStepFailed: (error, step) =>
      logger?.error({ err: error, step }, "a step after a committed change failed"),
    mailQueue: outbox,
    secretBox,
    social,
    passkeys: {
      settings: {
        rpId: webauthn.rpId ?? "localhost",
        rpName: webauthn.rpName ?? DEFAULT_RP_NAME,
        origins: typeof origins === "function" ? origins : () => origins,
      },
    },
  });
  const close = async () => {
    await outbox?.stop();
    await webhooks.close();
    await audit.flush();
    await redis?.close();
    oidc.userinfoAnswers?.close();
    await store.close();
  };
  const appliedMigrations: string[] = [];
  try {
    if (migrate) appliedMigrations.push(...(await store.migrate()));
    await redis?.connect();
    // Until it listens, the PostgreSQL session cache serves nothing from memory.
    await listener?.start();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    auth,
    db: new DB(store, now),
    store,
    stores,
    audit,
    appliedMigrations,
    apiKeys: new ApiKeys(mapUnavailable(new KyselyApiKeyStore(kysely)), now),
    users: new UserAdmin(auth, store, now),
    outbox,
    webhooks,
    // createAuth always gives Auth the relying party: passkeys are there.
    passkeys: auth.passkeys as Passkeys,
    oidc,
    poolState,
    async purgeExpired() {
      await auth.purgeExpired();
      await audit.purgeOlderThan(settings.auditRetention);
      await outbox?.purgeFailed();
      await webhooks.worker.purgeFailed();
      await oidc.payloads.purgeExpired();
    },
    close,
  };
}
