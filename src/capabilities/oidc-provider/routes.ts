import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type Provider from "oidc-provider";
import type { Accounts } from "../../core/accounts.js";
import { ThrottledError } from "../../core/errors.js";
import type { AuthEventListener } from "../../core/events.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { continueTo, setReturnTo } from "../../core/http/return-to.js";
import type { PageContext, PageKit } from "../../core/pages/page-context.js";
import { sendPage } from "../../core/pages/page-kit.js";
import type { SessionClient } from "../../core/session.js";
import type { UnitOfWork } from "../../core/unit-of-work.js";
import type { User } from "../../core/user.js";
import { batchRawAnswer } from "../../platform/http/raw-answer-batching.js";
import { INTERACTION_PATH, OIDC_ROUTES } from "./provider.js";
import { PROVIDER_SESSION_COOKIE } from "./provider-sessions.js";
import { rememberServiceToken } from "./session-link.js";
import type { SubjectStore } from "./store.js";
import type { FastUserinfo } from "./userinfo.js";
import { consentView, deviceThrottledView, errorView } from "./views.js";

/** What the interactions need of the service's accounts. */
export interface InteractionAccounts {
  /** Where the provider's events go (metrics, audit, webhooks) and its audited changes run. */
  core: { flows: { emit: AuthEventListener; changes: Pick<UnitOfWork, "run"> } };
  accountOf(
    token: string | null | undefined,
  ): Promise<{ user: User; sessions: { current: boolean; createdAt: Date }[] } | null>;
  revokeSession(token: string | null | undefined, client?: SessionClient): Promise<unknown>;
  /** The live session a token opened and its user; null otherwise. */
  signedIn: Accounts["signedIn"];
  /** The user of a live service session; null when the token is unknown, expired or revoked. */
  getUserFromSessionId(token: string | null | undefined): Promise<User | null>;
  /** Counts a post of the device page's form. @throws ThrottledError past the address's limit. */
  deviceCodeEntries?: { hit(ip: string | null | undefined, now: Date): Promise<void> };
}

/**
 * The policy of every answer of oidc-provider's: its own pages (logout,
 * device code, form_post, errors) are never framed. No script-src: form_post's
 * page submits itself with an inline script.
 */
const PROVIDER_ANSWER_HEADERS = {
  "content-security-policy": "frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
} as const;

/**
 * The service's headers of every answer (nosniff, Referrer-Policy, HSTS,
 * X-Request-Id, set by every-request.ts on the reply) copied to the raw answer
 * the provider writes, which a hijacked reply would otherwise send without
 * them; with the provider's own policy and X-Frame-Options.
 */
function secureRawAnswer(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) reply.raw.setHeader(name, value as string | string[]);
  for (const [name, value] of Object.entries(PROVIDER_ANSWER_HEADERS))
    reply.raw.setHeader(name, value);
  if (!reply.raw.hasHeader("referrer-policy"))
    reply.raw.setHeader("referrer-policy", "no-referrer");
}

/**
 * The provider mounted in Fastify: discovery and every /oidc/ endpoint handed,
 * raw, to oidc-provider's own handler. Bodies are left unread for it. The
 * userinfo endpoint's common case is answered here (FastUserinfo), the rest
 * of it by oidc-provider.
 */
export async function mountProvider(
  app: FastifyInstance,
  getProvider: () => Promise<Provider>,
  http: {
    cookie: SessionCookie;
    userinfo: FastUserinfo;
    pages: PageKit;
    deviceCodeEntries: InteractionAccounts["deviceCodeEntries"];
  },
): Promise<void> {
  const { cookie, userinfo, pages, deviceCodeEntries } = http;
  let handler: ReturnType<Provider["callback"]> | undefined;
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null));
    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      handler ??= (await getProvider()).callback();
      rememberServiceToken(request.raw, cookie.read(request));
      secureRawAnswer(reply);
      reply.hijack();
      batchRawAnswer(reply.raw);
      handler(request.raw, reply.raw);
    };
    const hidden = { schema: { hide: true } };
    scope.get("/.well-known/openid-configuration", hidden, forward);
    scope.get(OIDC_ROUTES.userinfo, hidden, async (request, reply) => {
      const claims = await userinfo.claimsFor(request.method, request.url, request.headers);
      if (!claims) return forward(request, reply);
      for (const [name, value] of Object.entries(PROVIDER_ANSWER_HEADERS))
        reply.header(name, value);
      return reply.header("cache-control", "no-store").send(claims);
    });
    // The device form posted without a provider session (cookies blocked, or
    // its session ended): its xsrf check cannot pass, so instead of answering
    // that the code is wrong, the form starts afresh, with a session.
    // Each post counts against the address's limit: a user code can be guessed.
    scope.post(OIDC_ROUTES.code_verification, hidden, async (request, reply) => {
      const header = request.headers.cookie;
      if (!header || request.server.parseCookie(header)[PROVIDER_SESSION_COOKIE] === undefined)
        return reply.redirect(OIDC_ROUTES.code_verification, 303);
      try {
        await deviceCodeEntries?.hit(clientOf(request).ip, new Date());
      } catch (error) {
        if (!(error instanceof ThrottledError)) throw error;
        reply.header("retry-after", Math.ceil(error.retryAfterMs / 1000));
        return sendPage(
          reply,
          429,
          deviceThrottledView(pages.contextOf(request), error, OIDC_ROUTES.code_verification),
        );
      }
      return forward(request, reply);
    });
    // The methods oidc-provider's endpoints answer (OPTIONS: CORS preflight); others are 405.
    scope.route({
      method: ["GET", "POST", "OPTIONS"],
      url: "/oidc/*",
      ...hidden,
      handler: forward,
    });
  });
}

type Details = Awaited<ReturnType<Provider["interactionDetails"]>>;

interface InteractionOptions {
  getProvider: () => Promise<Provider>;
  accounts: InteractionAccounts;
  subjects: SubjectStore;
  cookie: SessionCookie;
  secure: boolean;
  pages: PageKit;
}

/** The error page of an interaction that cannot go on (expired, not this browser's, unknown client). */
function errorPage(
  reply: FastifyReply,
  ctx: PageContext,
  sentence: "interaction.expired" | "interaction.unknown_client" | "interaction.cannot_continue",
): FastifyReply {
  return sendPage(reply, 400, errorView(ctx, undefined, sentence));
}

/**
 * The provider's interactions, as hosted pages: its login step is the
 * service's own login page (second step and passkeys included), which sends
 * the person back here once signed in; then consent, skipped for first-party
 * clients.
 */
export async function interactionPages(
  app: FastifyInstance,
  options: InteractionOptions,
): Promise<void> {
  const { getProvider, accounts, subjects, cookie, secure, pages } = options;
  const hidden = { schema: { hide: true } };

  const details = async (request: FastifyRequest, reply: FastifyReply): Promise<Details | null> => {
    try {
      return await (await getProvider()).interactionDetails(request.raw, reply.raw);
    } catch {
      return null;
    }
  };
  // After a form (consent), a page that goes on by itself: see continueTo.
  const finish = async (
    request: FastifyRequest,
    reply: FastifyReply,
    result: Record<string, unknown>,
  ) => {
    // A consent keeps the login it follows (its interaction's last submission):
    // without it, max_age would find the session too old again once a
    // second has passed, and ask for the login once more, and again.
    const to = await (await getProvider()).interactionResult(request.raw, reply.raw, result, {
      mergeWithLastSubmission: "consent" in result,
    });
    const path = new URL(to, "http://x").pathname;
    return request.method === "POST"
      ? continueTo(reply, path, pages.contextOf(request, "/account"))
      : reply.redirect(path, 303);
  };

  app.get<{ Params: { uid: string } }>(
    `${INTERACTION_PATH}/:uid`,
    hidden,
    async (request, reply) => {
      const interaction = await details(request, reply);
      const ctx = pages.contextOf(request);
      if (!interaction || interaction.uid !== request.params.uid)
        return errorPage(reply, ctx, "interaction.expired");
      const account = await accounts.accountOf(cookie.read(request));
      const here = `${INTERACTION_PATH}/${interaction.uid}`;
      if (interaction.prompt.name === "login") {
        const current = account?.sessions.find((session) => session.current);
        // prompt=login and max_age: a sign-in made after the request began.
        const fresh = interaction.prompt.reasons.some(
          (reason) => reason === "login_prompt" || reason === "max_age",
        );
        const startedAt = Number(interaction.iat ?? 0) * 1000;
        if (!account || !current || (fresh && current.createdAt.getTime() < startedAt)) {
          setReturnTo(reply, here, secure);
          return reply.redirect("/account/login", 303);
        }
        const sub = await subjects.subjectOf(account.user.id);
        return finish(request, reply, {
          login: { accountId: sub, ts: Math.floor(current.createdAt.getTime() / 1000) },
        });
      }
      if (interaction.prompt.name === "consent") {
        const provider = await getProvider();
        const client = await provider.Client.find(String(interaction.params.client_id));
        if (!client) return errorPage(reply, ctx, "interaction.unknown_client");
        if (client.metadata().first_party === true)
          return finish(request, reply, {
            consent: { grantId: await grant(provider, interaction) },
          });
        const scopes = String(interaction.params.scope ?? "")
          .split(" ")
          .filter(Boolean);
        return sendPage(
          reply,
          200,
          consentView(ctx, { client: client.clientName ?? client.clientId, scopes, action: here }),
        );
      }
      return errorPage(reply, ctx, "interaction.cannot_continue");
    },
  );

  app.post<{ Params: { uid: string } }>(
    `${INTERACTION_PATH}/:uid/confirm`,
    hidden,
    async (request, reply) => {
      const interaction = await details(request, reply);
      if (
        !interaction ||
        interaction.uid !== request.params.uid ||
        interaction.prompt.name !== "consent"
      )
        return errorPage(reply, pages.contextOf(request, "/account"), "interaction.expired");
      // The consent is the interaction's account's: when another person has
      // signed in on this browser since its login step, it grants nothing.
      const account = await accounts.accountOf(cookie.read(request));
      if (
        !account ||
        (await subjects.subjectOf(account.user.id)) !== String(interaction.session?.accountId)
      )
        return errorPage(reply, pages.contextOf(request, "/account"), "interaction.expired");
      const grantId = await grant(await getProvider(), interaction);
      accounts.core.flows.emit({
        type: "oauth_consent",
        clientId: String(interaction.params.client_id),
        scopes: String(interaction.params.scope ?? "")
          .split(" ")
          .filter(Boolean),
        userId: account.user.id,
        email: account.user.email,
        client: clientOf(request),
      });
      return finish(request, reply, { consent: { grantId } });
    },
  );

  app.post<{ Params: { uid: string } }>(
    `${INTERACTION_PATH}/:uid/abort`,
    hidden,
    async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction || interaction.uid !== request.params.uid)
        return errorPage(reply, pages.contextOf(request, "/account"), "interaction.expired");
      return finish(request, reply, {
        error: "access_denied",
        error_description: "The user denied the request",
      });
    },
  );
}

/** The grant of what the interaction asks for (its missing scopes and claims), saved. */
async function grant(provider: Provider, interaction: Details): Promise<string> {
  const accountId = String(interaction.session?.accountId);
  const clientId = String(interaction.params.client_id);
  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const missing = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(" "));
  return grant.save();
}
