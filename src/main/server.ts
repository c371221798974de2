import cluster from "node:cluster";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { passkeySettings } from "../capabilities/passkeys/settings.js";
import { Metrics } from "../core/http/metrics.js";
import { isLoopbackHost } from "../platform/http/every-request.js";
import { serviceLogger } from "../platform/http/logger.js";
import { mailOptionsOf } from "../platform/mail/transport.js";
import type { HostResolver } from "../platform/net/checked-lookup.js";
import { buildApp } from "./app.js";
import type { Config } from "./config.js";
import { type AuthService, createAuth, type MailOptions } from "./create-auth.js";
import { developmentKeyPath } from "./secret-key-file.js";

export interface RunningServer {
  app: FastifyInstance;
  service: AuthService;
  /** e.g. http://127.0.0.1:5000 */
  url: string;
  port: number;
  /** Stops accepting, lets requests in flight finish, then closes the database. */
  close(): Promise<void>;
}

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * config -> database -> migrations -> Auth -> Fastify -> listen. Installs no
 * signal handlers (the CLI does), so tests can start several in one process.
 */
export async function startServer(
  config: Config,
  options: {
    logger?: FastifyBaseLogger;
    /** The domain's clock; tests move it to cross expiry times and TOTP steps. */
    now?: () => Date;
    /** Resolves webhook endpoints' host names (default: the system's); tests stand in for DNS. */
    resolveWebhookHost?: HostResolver;
    /** Resolves identity providers' host names (default: the system's); tests stand in for DNS. */
    resolveProviderHost?: HostResolver;
    /** Listen on config.port (default); false: ready for `app.inject()` only, no socket. */
    listen?: boolean;
  } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? serviceLogger(config.logLevel, config.auth.mode);
  const metrics = new Metrics();
  // A worker of `serve --workers N`: /metrics answers for the whole cluster.
  if (cluster.isWorker && config.workers > 1) metrics.joinCluster();
  // Development's default passkey origin names the port listened on (PORT=0: known once listening).
  let listeningPort = config.port;
  const service = await createAuth({
    now: options.now,
    onEvent: metrics.record,
    ...config.auth,
    databaseUrl: config.databaseUrl,
    databasePoolSize: config.databasePoolSize,
    databaseTimeoutMs: config.databaseTimeoutMs,
    redisUrl: config.redisUrl,
    redisKeyPrefix: config.redisKeyPrefix,
    sessionCache: config.sessionCache,
    logger,
    secretKey: config.secretKey,
    webhooks: {
      ...config.webhooks,
      onDelivery: metrics.recordWebhookDelivery,
      resolve: options.resolveWebhookHost,
    },
    social: { allowedHosts: config.socialAllowedHosts, resolve: options.resolveProviderHost },
    mail: withLanguageAndBrand(mailOptionsOf(config), config),
    webauthn: passkeySettings(config.webauthn, () => listeningPort),
  });
  metrics.watchPool(service.poolState);
  let app: FastifyInstance | undefined;
  try {
    // Made now, so the first unknown-email login costs no more than any other.
    await service.auth.hasher.dummyHash();
    const admin = { apiKeys: service.apiKeys, users: service.users, audit: service.audit };
    const production = config.auth.mode === "production";
    const issuer = config.oidcIssuer ?? (production ? config.publicUrl : undefined);
    // The OpenID provider: at PUBLIC_URL (or OIDC_ISSUER) in production, where there is one.
    const oidc =
      production && issuer === undefined
        ? undefined
        : {
            ...service.oidc,
            issuer: () => issuer ?? `http://localhost:${listeningPort}`,
            proxy: config.trustProxy !== false,
            secure: production,
            sessionLifetime: config.auth.sessionAbsoluteLifetime,
          };
    app = await buildApp({ auth: service.auth, config, logger, metrics, admin, oidc });
    if (options.listen === false) await app.ready();
    else await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app?.close();
    await service.close();
    throw error;
  }

  service.outbox?.start();
  service.webhooks.worker.start();
  const purge = () =>
    service
      .purgeExpired()
      .catch((error: unknown) => logger.warn({ err: error }, "purge of expired rows failed"));
  void purge();
  const purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
  purgeTimer.unref();

  const address = options.listen === false ? null : app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  listeningPort = port;
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  if (service.appliedMigrations.length > 0) {
    logger.info({ migrations: service.appliedMigrations }, "applied migrations");
  }
  logger.info(
    { port, database: describeDatabase(config.databaseUrl), mode: config.auth.mode },
    "listening",
  );
  if (config.auth.mode === "development") {
    const reach = isLoopbackHost(config.host)
      ? "listening on this machine only (HOST=0.0.0.0 exposes it to the network)"
      : `listening on ${config.host}: anyone who reaches it can reset any password`;
    logger.warn(
      `development mode: reset tokens are returned in HTTP responses; ${reach}; set AUTH_MODE=production for real users`,
    );
    if (config.secretKey === undefined) {
      // Made at first use (the first webhook added), so a service that seals
      // nothing leaves no key file behind.
      const file = developmentKeyPath(config.databaseUrl);
      logger.warn(
        file
          ? `SECRET_KEY is not set: secrets at rest (TOTP secrets, webhook signing secrets) are encrypted under a key generated once and kept in ${file} (mode 0600); set SECRET_KEY (openssl rand -hex 32) for production`
          : "SECRET_KEY is not set: secrets at rest are encrypted under a key that lives as long as this in-memory database",
      );
    }
  } else if (config.secretKey === undefined) {
    logger.warn(
      "SECRET_KEY is not set: webhooks cannot be signed or added until it is (64 hex characters, e.g. openssl rand -hex 32)",
    );
  }
  if (config.auth.mode === "production" && config.metricsToken === undefined) {
    logger.info("GET /metrics is off: production serves it only with METRICS_TOKEN set");
  }

  const running = app;
  return {
    app: running,
    service,
    url: `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    async close() {
      clearInterval(purgeTimer);
      const closing = running.close();
      // close() drops the connections idle at that moment; a keep-alive
      // connection whose request was still in flight goes idle later and
      // would hold the close open until its keep-alive timeout.
      const sweeper = setInterval(() => running.server.closeIdleConnections(), 50);
      try {
        await closing;
      } finally {
        clearInterval(sweeper);
      }
      await service.close();
    },
  };
}

/** The mails' options, with the language and brand of the pages. */
function withLanguageAndBrand(
  mail: ReturnType<typeof mailOptionsOf>,
  config: Config,
): MailOptions | undefined {
  return mail && { ...mail, defaultLanguage: config.defaultLanguage, brand: config.brand };
}

/** The database kind and place, without any password a URL may carry. */
function describeDatabase(url: string): string {
  if (url.startsWith("sqlite:")) return url;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "postgres";
  }
}
