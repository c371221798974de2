import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { AdminDependencies } from "../capabilities/admin-api/routes.js";
import type { OidcHttp } from "../capabilities/oidc-provider/index.js";
import { DEFAULT_SESSION_COOKIE, SessionCookie } from "../core/http/cookies.js";
import { isBearerWithoutCookie } from "../core/http/credentials.js";
import { handleError } from "../core/http/errors.js";
import type { Metrics } from "../core/http/metrics.js";
import { AccountPage } from "../core/pages/account-page.js";
import { PageKit } from "../core/pages/page-context.js";
import { ReturnTo } from "../core/pages/return-to.js";
import { healthRoutes } from "../core/routes/health.js";
import { homeRoutes } from "../core/routes/home.js";
import { type ExportData, ownDataRoutes } from "../core/routes/own-data.js";
import { profileRoutes } from "../core/routes/profile.js";
import { sessionsRoutes } from "../core/routes/sessions.js";
import { usersRoutes } from "../core/routes/users.js";
import { installAnswerBatching } from "../platform/http/answer-batching.js";
import { fastifyTrustProxy } from "../platform/http/client-address.js";
import { installCrossSiteGuard } from "../platform/http/cross-site.js";
import {
  installEveryRequest,
  isLoopbackHost,
  LOOPBACK_HOSTNAMES,
} from "../platform/http/every-request.js";
import { earlyErrorOptions } from "../platform/http/framework-errors.js";
import { createLogger } from "../platform/http/logger.js";
import { installMethodNotAllowed } from "../platform/http/method-not-allowed.js";
import { registerOpenApi } from "../platform/http/openapi.js";
import { installRequestDeadline } from "../platform/http/request-deadline-hook.js";
import { requestIdOf } from "../platform/http/request-id.js";
import { lazyChildLoggerFactory, OneLineRequestLog } from "../platform/http/request-logging.js";
import { registerCors, splitSecurityHeaders } from "../platform/http/security-headers.js";
import type { Auth } from "./auth.js";
import { CAPABILITIES } from "./capabilities.js";
import type { Config } from "./config.js";

/**
 * What buildApp reads of the configuration; every field has the default
 * config.ts gives it, so `config: {}` builds the development service.
 */
export type AppConfig = Partial<
  Pick<
    Config,
    | "bodyLimit"
    | "trustProxy"
    | "trustedOrigins"
    | "metricsToken"
    | "sessionCookieName"
    | "corsOrigins"
    | "requestTimeoutMs"
    | "headersTimeoutMs"
    | "maxConnections"
    | "apiDocs"
    | "publicUrl"
    | "host"
    | "databaseTimeoutMs"
    | "allowedReturnOrigins"
    | "defaultLanguage"
    | "brand"
  >
>;

/** The origin of a logo on another site, for the pages' img-src; none for a path of this service. */
function logoOrigin(logoUrl: string | undefined): string[] {
  if (logoUrl === undefined || logoUrl.startsWith("/")) return [];
  return [new URL(logoUrl).origin];
}

/** Defaults of the optional AppConfig fields, as config.ts gives them. */
const DEFAULT_BODY_LIMIT = 64 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS = 4096;
const DEFAULT_DATABASE_TIMEOUT_MS = 5000;
/** Fastify's router options, which the 405 answers' own router must share. */
const ROUTER_OPTIONS = { ignoreTrailingSlash: true } as const;

export interface BuildAppOptions {
  auth: Auth;
  config: AppConfig;
  /** A pino logger; none (silent) when absent. */
  logger?: FastifyBaseLogger;
  /** Serves GET /metrics and times every request; none when absent. */
  metrics?: Metrics;
  /** Serves the admin API under /admin (API keys); none when absent. */
  admin?: AdminDependencies;
  /** Serves the OpenID provider (discovery, /oidc/...); none when absent. */
  oidc?: OidcHttp;
}

/**
 * A body announced and never sent, or headers trickled a byte at a time, must
 * not hold a connection (and a file descriptor) forever. Node enforces both
 * timeouts only when it sweeps its connections, every 30 s by default: the
 * sweep runs at a quarter of the headers timeout instead, so a stalled request
 * is cut at most a quarter late.
 */
function connectionLimits(config: AppConfig) {
  const requestTimeout = config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(
    config.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    requestTimeout,
  );
  return {
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout,
      connectionsCheckingInterval: Math.max(250, Math.floor(headersTimeout / 4)),
    },
  };
}

/**
 * The HTTP service, ready to `listen()` or `inject()`, but not listening: the
 * caller decides (src/server.ts listens, tests do either).
 */
export async function buildApp({
  auth,
  config,
  logger,
  metrics,
  admin,
  oidc,
}: BuildAppOptions): Promise<FastifyInstance> {
  // Fastify reports finished answers to the log controller (which feeds the
  // request histogram) only when it has a logger: metrics get a silent one.
  const requestLogger = logger ?? (metrics ? createLogger("silent") : undefined);
  const app = Fastify({
    ...(requestLogger
      ? {
          loggerInstance: requestLogger,
          childLoggerFactory: lazyChildLoggerFactory,
          logController: new OneLineRequestLog(metrics?.observeRequest),
        }
      : { logger: false }),
    bodyLimit: config.bodyLimit ?? DEFAULT_BODY_LIMIT,
    trustProxy: fastifyTrustProxy(config.trustProxy ?? false),
    ...connectionLimits(config),
    routerOptions: ROUTER_OPTIONS,
    return503OnClosing: true,
    genReqId: requestIdOf,
    // Answers made before any hook (bad URL, Node's parser errors): our shape and headers.
    ...earlyErrorOptions({ production: auth.settings.mode === "production" }),
    // Wrong types must fail (not turn 123 into "123"), and extra fields must be
    // refused rather than silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  }) as unknown as FastifyInstance;

  app.server.maxConnections = config.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  app.setErrorHandler(handleError);
  const production = auth.settings.mode === "production";
  const allowedReturnOrigins = config.allowedReturnOrigins ?? [];
  const securityHeaders = splitSecurityHeaders({
    production,
    formTargets: allowedReturnOrigins,
    // A logo on another origin: that origin alone, for images.
    images: logoOrigin(config.brand?.logoUrl),
  });
  installRequestDeadline(app, config.databaseTimeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS);
  installEveryRequest(app, {
    headers: securityHeaders.everyAnswer,
    bodyLimit: config.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Development on loopback (the default) hands out reset tokens: only
    // requests addressed to this machine's own names are served.
    allowedHostnames:
      !production && config.host !== undefined && isLoopbackHost(config.host)
        ? LOOPBACK_HOSTNAMES
        : undefined,
  });
  installMethodNotAllowed(app, ROUTER_OPTIONS);
  // Cookies are parsed where a route reads one (cookies.ts), not on every request.
  await app.register(fastifyCookie, { hook: false });
  await app.register(fastifyFormbody);
  // Fields arrive as a form or as JSON; Fastify's built-in text/plain parser
  // would let a plain string through to validation instead of a 415.
  app.removeContentTypeParser("text/plain");
  const corsOrigins = config.corsOrigins ?? [];
  await registerCors(app, corsOrigins);
  // An origin allowed to read our answers must also be allowed to post.
  const cookie = new SessionCookie(config.sessionCookieName ?? DEFAULT_SESSION_COOKIE, {
    secure: production,
  });
  installCrossSiteGuard(app, {
    trustedOrigins: [...(config.trustedOrigins ?? []), ...corsOrigins],
    publicUrl: config.publicUrl,
    // A page on another site cannot make a browser send a Bearer token.
    isExempt: (request) => isBearerWithoutCookie(request, cookie),
  });
  await registerOpenApi(app, {
    cookieName: cookie.name,
    ui: config.apiDocs ?? !production,
    // The OpenID provider's endpoints (/oidc/...) are oidc-provider's: its discovery describes them.
    ...(oidc && {
      externalDocs: {
        description:
          "The OpenID provider's endpoints (/oidc/...) are described by its discovery document",
        url: "/.well-known/openid-configuration",
      },
    }),
  });
  // Login failure counts, pool state and runtime versions map the service for
  // an attacker: production serves them only behind a token.
  if (metrics && (config.metricsToken !== undefined || !production)) {
    metrics.install(app, config.metricsToken);
  }
  // After the plugins' onSend hooks (the cookie writer): the wait is the last step.
  installAnswerBatching(app);

  await app.register(homeRoutes);
  await app.register(healthRoutes, { auth });
  await app.register(usersRoutes, { auth });
  await app.register(sessionsRoutes, { auth, cookie });
  await app.register(profileRoutes, { auth, cookie });
  // The capabilities' parts (capabilities.ts), in list order.
  const service = { auth, ...admin, oidc };
  // One's own data: the core's part of an export, then each capability's.
  const exportData: ExportData = async (current) => {
    const data = await auth.exportOwnData(current);
    for (const capability of CAPABILITIES)
      Object.assign(data, await capability.exportData?.(service, current.user));
    return data;
  };
  await app.register(ownDataRoutes, { auth, cookie, exportData });
  const pages = new PageKit({
    defaultLanguage: config.defaultLanguage,
    brand: config.brand,
    secure: production,
  });
  const accountPage = new AccountPage(
    auth,
    auth.secondFactorGate,
    CAPABILITIES.flatMap((capability) => capability.accountSection?.(service) ?? []),
    pages,
  );
  const loginParts = CAPABILITIES.flatMap((capability) => capability.loginParts?.(service) ?? []);
  const returnTo = new ReturnTo(
    {
      ownOrigin: config.publicUrl === undefined ? undefined : new URL(config.publicUrl).origin,
      allowedOrigins: allowedReturnOrigins,
    },
    { secure: production },
  );
  const http = { cookie, accountPage, loginParts, returnTo, pages, publicUrl: config.publicUrl };
  for (const capability of CAPABILITIES) await capability.routes?.(app, service, http);
  // The hosted pages, in one encapsulated context whose own hook adds the
  // document-only headers (CSP for pages, ...) to the pages alone.
  await app.register(async (pages) => {
    pages.addHook("onRequest", (_request, reply, done) => {
      reply.headers(securityHeaders.documentsOnly);
      done();
    });
    for (const capability of CAPABILITIES) await capability.pages?.(pages, service, http);
  });
  return app;
}
