import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Accounts, LoginResult } from "../../core/accounts.js";
import type { HttpParts } from "../../core/capability.js";
import { AuthError, SecondFactorRequiredError } from "../../core/errors.js";
import { clientOf } from "../../core/http/cookies.js";
import { afterLogin } from "../../core/http/return-to.js";
import { errorText } from "../../core/pages/error-text.js";
import type { PageContext } from "../../core/pages/page-context.js";
import { type Fields, field, formRoute, sendFailure, sendPage } from "../../core/pages/page-kit.js";
import { DEFAULT_DESTINATION } from "../../core/pages/return-to.js";
import type { SessionClient } from "../../core/session.js";
import type { SocialLogin } from "./social-login.js";
import {
  callbackErrorView,
  type LinkPageState,
  linkCodeView,
  linkConfirmView,
  linkPasswordView,
} from "./views.js";
import { socialWords } from "./words.js";

/** Keeps the flow's state in the browser that started it, from /login/{id} to its callback. */
const STATE_COOKIE = "social_state";
const STATE_COOKIE_PATH = "/login";
const STATE_COOKIE_SECONDS = 600;

const providerParams = {
  type: "object",
  required: ["id"],
  properties: {
    id: { type: "string", minLength: 1, maxLength: 32, pattern: "^[a-z0-9][a-z0-9-]*$" },
  },
} as const;
const identityParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" } },
} as const;
/** The callback's query is the provider's: any parameters, each a bounded string. */
const callbackQuery = {
  type: "object",
  additionalProperties: { type: "string", maxLength: 4096 },
} as const;

/**
 * The sign-in pages of social login: /login/{id} sends the browser to the
 * provider (its state in an HttpOnly cookie), /login/{id}/callback comes back
 * through SignIn (second step, address rule, return_to, the OpenID
 * provider's waiting interaction), /login/link asks an existing account's
 * password (and code) before linking, and /account's Unlink.
 */
export async function socialPages(
  app: FastifyInstance,
  options: { auth: Accounts; social: SocialLogin; http: HttpParts },
): Promise<void> {
  const { auth, social, http } = options;
  const { cookie, returnTo, pages, loginParts, accountPage } = http;
  const secure = auth.settings.mode === "production";
  const stateCookie = { path: STATE_COOKIE_PATH, httpOnly: true, sameSite: "lax", secure } as const;
  const wordsOf = (ctx: PageContext) => socialWords.in(ctx.lang);
  const client = (request: FastifyRequest): SessionClient => ({
    ...clientOf(request),
    way: "page",
  });
  const redirectUri = (request: FastifyRequest, id: string) =>
    `${http.publicUrl ?? `${request.protocol}://${request.host}`}/login/${id}/callback`;

  app.get<{ Params: { id: string }; Querystring: { return_to?: unknown; link?: string } }>(
    "/login/:id",
    {
      schema: {
        hide: true,
        params: providerParams,
        querystring: {
          type: "object",
          properties: { link: { type: "string", enum: ["1"] } },
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const place = returnTo.check(request.query.return_to, request);
      const ctx = pages.contextOf(request, "/account/login");
      if (request.query.link !== "1") return begin(request, reply, id, place);
      // Linking is started from /account, never from another site: a page
      // elsewhere must not link a provider account it chose (one whose
      // sign-in it forged at the provider) to the signed-in user.
      const site = request.headers["sec-fetch-site"];
      if (site !== undefined && site !== "same-origin" && site !== "none")
        return sendPage(reply, 403, callbackErrorView(ctx, wordsOf(ctx)("callback.invalid")));
      const current = await auth.signedIn(cookie.read(request));
      if (!current) return reply.redirect("/account/login", 303);
      // A stolen session alone links nothing: a recent sign-in, else the owner's proof first.
      if (!social.changes.isRecentSignIn(current))
        return confirmPage(reply, ctx, id, current.user.id, 403, place);
      return begin(request, reply, id, place, current.user.id);
    },
  );

  /** Link another from an older session: the password (and code) asked here, then on to the provider. */
  app.post<{ Params: { id: string }; Body: Fields }>(
    "/login/:id/link",
    { schema: { ...formRoute.schema, params: providerParams } },
    async (request, reply) => {
      const { id } = request.params;
      const place = returnTo.check(field(request.body, "return_to"), request);
      const ctx = pages.contextOf(request, "/account");
      const current = await auth.signedIn(cookie.read(request));
      if (!current) return reply.redirect("/account/login", 303);
      const code = field(request.body, "code");
      const outcome = await social.changes.confirmLinking(
        current,
        { password: field(request.body, "password"), code: code || undefined },
        client(request),
      );
      if (outcome === "confirmed") return begin(request, reply, id, place, current.user.id);
      if (outcome === "no_session") return reply.redirect("/account/login", 303);
      if (outcome === "session_ended") {
        cookie.clear(reply);
        return reply.redirect("/account/login?done=session-ended", 303);
      }
      const error = outcome === "reauthentication_required" ? undefined : "confirm.wrong";
      return confirmPage(reply, ctx, id, current.user.id, 403, place, error);
    },
  );

  /** The flow begins: its state in the browser's cookie, and off to the provider. */
  async function begin(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    place: string | undefined,
    linkUserId?: number,
  ) {
    const ctx = pages.contextOf(request, "/account/login");
    let started: Awaited<ReturnType<SocialLogin["start"]>>;
    try {
      started = await social.start(id, {
        redirectUri: redirectUri(request, id),
        returnTo: place,
        linkUserId,
      });
    } catch (error) {
      if (error instanceof AuthError) throw error;
      request.log.warn({ err: error, provider: id }, "a provider could not be reached");
      return sendPage(
        reply,
        502,
        callbackErrorView(ctx, wordsOf(ctx)("callback.unavailable", { name: id }), place),
      );
    }
    if (!started)
      return sendPage(reply, 404, callbackErrorView(ctx, ctx.t("error.not_found"), place));
    reply.setCookie(STATE_COOKIE, started.state, {
      ...stateCookie,
      maxAge: STATE_COOKIE_SECONDS,
    });
    return reply.header("cache-control", "no-store").redirect(started.url.href, 302);
  }

  /** What the owner must send to link from an older session, as a page. */
  async function confirmPage(
    reply: FastifyReply,
    ctx: PageContext,
    id: string,
    userId: number,
    status: number,
    place: string | undefined,
    error?: "confirm.wrong",
  ) {
    const provider = (await social.providers.list()).find((each) => each.id === id);
    if (!provider)
      return sendPage(reply, 404, callbackErrorView(ctx, ctx.t("error.not_found"), place));
    const [hasPassword, secondFactorOn] = await Promise.all([
      social.hasPassword(userId),
      auth.core.factors.isOn(userId),
    ]);
    const proof = hasPassword ? "password" : secondFactorOn ? "code" : "sign_in_again";
    const view = linkConfirmView(ctx, {
      id,
      name: provider.name,
      proof,
      secondFactorOn,
      returnTo: place,
      ...(error
        ? { error: wordsOf(ctx)(error), errorField: proof === "code" ? "code" : "password" }
        : {}),
    });
    return sendPage(reply, status, view);
  }

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    "/login/:id/callback",
    { schema: { hide: true, params: providerParams, querystring: callbackQuery } },
    async (request, reply) => {
      const { id } = request.params;
      const header = request.headers.cookie;
      const browserState = header ? request.server.parseCookie(header)[STATE_COOKIE] : undefined;
      // Used or not, the state cookie has done its work.
      if (browserState !== undefined) reply.clearCookie(STATE_COOKIE, stateCookie);
      const ctx = pages.contextOf(request, "/account/login");
      const query = new URLSearchParams(request.query);
      const verified = await social.verifyCallback(id, query, browserState, client(request));
      if (!verified)
        return sendPage(reply, 400, callbackErrorView(ctx, wordsOf(ctx)("callback.invalid")));
      const place = verified.returnTo;
      // A link completes only in the session of the user who started it: not after its
      // logout, and not in a browser where someone else has signed in since.
      if (verified.linkUserId !== null) {
        const current = await auth.signedIn(cookie.read(request));
        if (current?.user.id !== verified.linkUserId)
          return sendPage(
            reply,
            403,
            callbackErrorView(ctx, wordsOf(ctx)("callback.link_session")),
          );
      }
      let admission: Awaited<ReturnType<SocialLogin["admit"]>>;
      try {
        admission = await social.admit(verified, client(request));
      } catch (error) {
        const email = await social.accountEmailOf(verified);
        return refusedSignIn(request, reply, ctx, error, email, place);
      }
      switch (admission.kind) {
        case "session":
          return signedIn(request, reply, admission.result, place);
        case "linked":
          return reply.redirect("/account#identities", 303);
        case "refused": {
          const status = admission.reason === "identity_taken" ? 409 : 403;
          const t = wordsOf(ctx);
          const text =
            admission.reason === "identity_taken"
              ? t("callback.identity_taken")
              : t("callback.no_verified_email");
          return sendPage(reply, status, callbackErrorView(ctx, text, place));
        }
        case "link_required": {
          const state = {
            token: admission.token,
            email: admission.email,
            provider: verified.provider.name,
            returnTo: place,
          };
          return sendPage(reply, 200, linkPasswordView(ctx, state));
        }
      }
    },
  );

  /** The link page's password: the account's own sign-in, then the link. */
  app.post<{ Body: Fields }>("/login/link", formRoute, async (request, reply) => {
    const token = field(request.body, "token");
    const ctx = pages.contextOf(request, "/account/login");
    const pending = await social.linkRequest(token);
    if (!pending) return sendPage(reply, 400, callbackErrorView(ctx, wordsOf(ctx)("link.gone")));
    const state: LinkPageState = {
      token,
      email: pending.email,
      provider: pending.provider,
      returnTo: pending.returnTo,
    };
    let result: LoginResult | null;
    try {
      result = await auth.login(pending.email, field(request.body, "password"), client(request));
    } catch (error) {
      if (error instanceof SecondFactorRequiredError)
        return sendPage(reply, 401, linkCodeView(ctx, { ...state, mfaToken: error.mfaToken }));
      if (!(error instanceof AuthError)) throw error;
      return sendFailure(reply, ctx, error, (text) =>
        linkPasswordView(ctx, { ...state, error: text, errorField: "password" }),
      );
    }
    if (!result) {
      const error = wordsOf(ctx)("link.wrong");
      return sendPage(
        reply,
        401,
        linkPasswordView(ctx, { ...state, error, errorField: "password" }),
      );
    }
    await social.completeLink(token, result, client(request));
    return signedIn(request, reply, result, pending.returnTo);
  });

  /** The account's second step, then the link. */
  app.post<{ Body: Fields }>("/login/link/code", formRoute, async (request, reply) => {
    const token = field(request.body, "token");
    const mfaToken = field(request.body, "mfa_token");
    const ctx = pages.contextOf(request, "/account/login");
    const pending = await social.linkRequest(token);
    if (!pending) return sendPage(reply, 400, callbackErrorView(ctx, wordsOf(ctx)("link.gone")));
    const state = {
      token,
      mfaToken,
      email: pending.email,
      provider: pending.provider,
      returnTo: pending.returnTo,
    };
    let result: LoginResult;
    try {
      result = await auth.completeLogin(mfaToken, field(request.body, "code"), client(request));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return sendFailure(reply, ctx, error, (text) =>
        linkCodeView(ctx, { ...state, error: text, errorField: "code" }),
      );
    }
    await social.completeLink(token, result, client(request));
    return signedIn(request, reply, result, pending.returnTo);
  });

  app.post<{ Params: { id: string }; Body: Fields }>(
    "/account/identities/:id/unlink",
    { schema: { ...formRoute.schema, params: identityParams } },
    async (request, reply) => {
      const token = cookie.read(request);
      const current = await auth.signedIn(token);
      if (!current) return reply.redirect("/account/login", 303);
      const ctx = pages.contextOf(request, "/account");
      const password = field(request.body, "password");
      const code = field(request.body, "code");
      let outcome: Awaited<ReturnType<SocialLogin["unlink"]>>;
      try {
        outcome = await social.unlink(
          current,
          request.params.id,
          { password, code: code || undefined },
          client(request),
        );
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        reply.code(error.code === "not_found" ? 404 : 409);
        return accountPage.send(request, reply, token, reply.statusCode, {
          identityError: errorText(ctx, error),
        });
      }
      if (outcome === "unlinked") return reply.redirect("/account#identities", 303);
      if (outcome === "no_session") return reply.redirect("/account/login", 303);
      if (outcome === "session_ended") {
        cookie.clear(reply);
        return reply.redirect("/account/login?done=session-ended", 303);
      }
      return accountPage.send(request, reply, token, 403, {
        identityError: wordsOf(ctx)("section.wrong"),
      });
    },
  );

  /** A session opened: on to the OpenID interaction waiting (its cookie), else return_to, else /account. */
  function signedIn(
    request: FastifyRequest,
    reply: FastifyReply,
    result: LoginResult,
    place: string | undefined,
  ) {
    cookie.set(reply, result.sessionToken);
    returnTo.forget(request, reply);
    return afterLogin(
      request,
      reply,
      place ?? DEFAULT_DESTINATION,
      pages.contextOf(request, "/account/login"),
    );
  }

  /** SignIn refused or asked for more: the second step's or the address's page, else the error. */
  function refusedSignIn(
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: PageContext,
    error: unknown,
    accountEmail: string,
    place: string | undefined,
  ) {
    const email = error instanceof SecondFactorRequiredError ? error.email : accountEmail;
    const next = loginParts
      .map((part) => part.pageFor?.(error, email, place, ctx, loginParts))
      .find(Boolean);
    if (next) {
      returnTo.remember(reply, place);
      return sendPage(reply, next.status, next.body);
    }
    if (!(error instanceof AuthError)) throw error;
    request.log.info({ code: error.code }, "a social sign-in was refused");
    return sendFailure(reply, ctx, error, (text) => callbackErrorView(ctx, text, place));
  }
}
