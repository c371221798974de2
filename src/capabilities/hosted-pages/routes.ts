import type { FastifyInstance, FastifyReply } from "fastify";
import type { Accounts, LoginResult } from "../../core/accounts.js";
import { AuthError, UserAlreadyExistsError } from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { afterLogin } from "../../core/http/return-to.js";
import { sessionIdParams } from "../../core/http/schemas.js";
import type { AccountPage, AccountPageState } from "../../core/pages/account-page.js";
import { errorText } from "../../core/pages/error-text.js";
import type { LoginPageParts } from "../../core/pages/login-parts.js";
import { noticeOf } from "../../core/pages/notices.js";
import type { PageContext } from "../../core/pages/page-context.js";
import { LANGUAGE_PATH, type PageKit } from "../../core/pages/page-context.js";
import {
  type Fields,
  failureOf,
  field,
  fieldInError,
  formRoute,
  type PageQuery,
  queryRoute,
  sendFailure,
  sendPage,
  sendSessionGone,
} from "../../core/pages/page-kit.js";
import { DEFAULT_DESTINATION, type ReturnTo, withReturnTo } from "../../core/pages/return-to.js";
import { loginView, registerView } from "../../core/pages/views.js";
import { FAVICON_PATH, ICON_PATH, ICON_SVG } from "../../platform/pages/icon.js";
import { STYLESHEET_PATH, stylesheet } from "../../platform/pages/style.js";

export interface HostedPagesOptions {
  auth: Accounts;
  cookie: SessionCookie;
  accountPage: AccountPage;
  /** What the capabilities add to the login and registration pages. */
  loginParts: readonly LoginPageParts[];
  returnTo: ReturnTo;
  pages: PageKit;
}

/**
 * The hosted pages: server-rendered forms that work without JavaScript, over
 * the same domain calls as the JSON API. They are form posts, so the
 * cross-site guard covers them like every other state-changing route.
 */
export async function accountRoutes(
  app: FastifyInstance,
  { auth, cookie, accountPage, loginParts, returnTo, pages }: HostedPagesOptions,
): Promise<void> {
  const minLength = auth.settings.passwordMinLength;
  // The login and registration pages with what the capabilities add under
  // their forms (a passkey sign-in, "Continue with ...").
  const loginPage = async (ctx: PageContext, state: Parameters<typeof loginView>[1]) =>
    loginView(ctx, {
      ...state,
      parts: await Promise.all(
        loginParts.flatMap((part) => part.login?.(ctx, state.returnTo) ?? []),
      ),
    });
  const registerPage = async (ctx: PageContext, state: Parameters<typeof registerView>[1]) =>
    registerView(
      ctx,
      {
        ...state,
        parts: await Promise.all(
          loginParts.flatMap((part) => part.register?.(ctx, state.returnTo) ?? []),
        ),
      },
      minLength,
    );
  const hidden = { schema: { hide: true } };

  // Made once, in the brand's colour.
  const css = stylesheet(pages.brand.color);
  app.get(STYLESHEET_PATH, hidden, async (_request, reply) =>
    reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(css),
  );

  // Its address changes with its content (ICON_PATH), so it may be kept for a year.
  app.get(ICON_PATH, hidden, async (_request, reply) =>
    sendIcon(reply, "public, max-age=31536000, immutable"),
  );
  // A fixed address: kept a week, so a new icon shows within one.
  app.get(FAVICON_PATH, hidden, async (_request, reply) =>
    sendIcon(reply, "public, max-age=604800"),
  );

  /** The language switcher's form (page-context.ts): the cookie, then back to the page. */
  app.post<{ Body: Fields }>(LANGUAGE_PATH, formRoute, async (request, reply) =>
    pages.choose(request, reply, request.body?.lang, request.body?.back),
  );

  app.get<{ Querystring: PageQuery }>("/account/register", queryRoute, async (request, reply) => {
    const place = returnTo.check(request.query.return_to, request);
    const ctx = pages.contextOf(request, withReturnTo("/account/register", place));
    return sendPage(reply, 200, await registerPage(ctx, { returnTo: place }));
  });

  app.post<{ Body: Fields }>("/account/register", formRoute, async (request, reply) => {
    const email = field(request.body, "email");
    const place = returnTo.check(request.body?.return_to, request);
    // Back to the form's page, with the place it carries.
    const ctx = pages.contextOf(request, withReturnTo("/account/register", place));
    try {
      await auth.registerUser(email, field(request.body, "password"), clientOf(request));
    } catch (error) {
      const message = error instanceof UserAlreadyExistsError ? ctx.t("register.taken") : undefined;
      // The page is made before the answer (its parts may read the database).
      const again = (text: string, code: Parameters<typeof fieldInError>[0]) =>
        registerPage(ctx, {
          email,
          error: message ?? text,
          errorField: fieldInError(code, "password"),
          returnTo: place,
        });
      if (!(error instanceof AuthError)) throw error;
      const body = await again(errorText(ctx, error), error.code);
      return sendFailure(reply, ctx, error, () => body);
    }
    // More to do before a login (verify the address): the part that knows says what.
    const next = loginParts.map((part) => part.afterRegistration?.(email, ctx)).find(Boolean);
    if (!next) return reply.redirect(withReturnTo("/account/login?done=registered", place), 303);
    // The link is followed from a mail: the place waits in a cookie meanwhile.
    returnTo.remember(reply, place);
    return sendPage(reply, 200, await loginPage(ctx, { email, ...next, returnTo: place }));
  });

  app.get<{ Querystring: PageQuery }>("/account/login", queryRoute, async (request, reply) => {
    const place = returnTo.check(request.query.return_to, request) ?? returnTo.remembered(request);
    const ctx = pages.contextOf(request, withReturnTo("/account/login", place));
    const notice = noticeOf(ctx, request.query.done);
    return sendPage(reply, 200, await loginPage(ctx, { notice, returnTo: place }));
  });

  app.post<{ Body: Fields }>("/account/login", formRoute, async (request, reply) => {
    const email = field(request.body, "email");
    const place = returnTo.check(request.body?.return_to, request);
    const ctx = pages.contextOf(request, withReturnTo("/account/login", place));
    let result: LoginResult | null;
    try {
      const client = { ...clientOf(request), way: "page" } as const;
      result = await auth.login(email, field(request.body, "password"), client);
    } catch (error) {
      // The password was right and there is more to do (the second step, an
      // unverified address): the page of the part that knows.
      const next = loginParts
        .map((part) => part.pageFor?.(error, email, place, ctx, loginParts))
        .find(Boolean);
      if (next) {
        // An address to verify first: the place waits in a cookie for the login after it.
        returnTo.remember(reply, place);
        return sendPage(reply, next.status, next.body);
      }
      // The email stays filled in: the password is what to type again.
      if (!(error instanceof AuthError)) throw error;
      const body = await loginPage(ctx, {
        email,
        error: errorText(ctx, error),
        errorField: fieldInError(error.code, "password", "password"),
        returnTo: place,
      });
      return sendFailure(reply, ctx, error, () => body);
    }
    if (!result) {
      const error = ctx.t("login.wrong");
      return sendPage(
        reply,
        401,
        await loginPage(ctx, { email, error, errorField: "password", returnTo: place }),
      );
    }
    cookie.set(reply, result.sessionToken);
    returnTo.forget(request, reply);
    // An OpenID interaction waiting for this login goes first (its own return cookie).
    return afterLogin(request, reply, place ?? DEFAULT_DESTINATION, ctx);
  });

  // After a sign-in made by a script (a passkey): where the login was asked to go back to.
  app.get("/account/login/continue", { schema: { hide: true } }, async (request, reply) =>
    afterLogin(request, reply, "/account", pages.contextOf(request)),
  );

  app.get<{ Querystring: { done?: string } }>("/account", queryRoute, async (request, reply) =>
    accountPage.send(request, reply, cookie.read(request), 200, {
      notice: noticeOf(pages.contextOf(request), request.query.done),
      emailChanged: request.query.done === "email-changed",
    }),
  );

  app.post<{ Body: Fields }>("/account/password", formRoute, async (request, reply) => {
    const token = cookie.read(request);
    let outcome: Awaited<ReturnType<Accounts["changePassword"]>>;
    // The page again, with the message by the field it is about.
    const failure = (status: number, state: AccountPageState) =>
      accountPage.send(request, reply, token, status, state);
    try {
      outcome = await auth.changePassword(
        token,
        field(request.body, "current_password"),
        field(request.body, "new_password"),
        clientOf(request),
      );
    } catch (error) {
      const { status, message, code } = failureOf(reply, pages.contextOf(request), error);
      const errorField = code === "invalid_password" ? "new_password" : "current_password";
      return failure(status, { error: message, errorField });
    }
    if (outcome === "changed") return reply.redirect("/account?done=password-changed", 303);
    if (outcome !== "wrong_password") return sendSessionGone(reply, cookie, outcome);
    const error = pages.contextOf(request).t("error.wrong_current_password");
    return failure(403, { error, errorField: "current_password" });
  });

  /** "Sign out of all other sessions": one statement, one audit row (sessions_revoked). */
  app.post("/account/sessions/revoke-others", hidden, async (request, reply) => {
    const ended = await auth.revokeOtherSessions(cookie.read(request), clientOf(request));
    if (ended === null) return reply.redirect("/account/login", 303);
    return reply.redirect(`/account?done=${ended > 0 ? "others-revoked" : "no-others"}`, 303);
  });

  app.post<{ Params: { id: string } }>(
    "/account/sessions/:id/revoke",
    {
      schema: {
        hide: true,
        params: sessionIdParams,
      },
    },
    async (request, reply) => {
      const outcome = await auth.revokeSessionById(
        cookie.read(request),
        request.params.id,
        clientOf(request),
      );
      if (outcome === "unauthenticated") return reply.redirect("/account/login", 303);
      return reply.redirect(`/account?done=${outcome === "ended" ? "revoked" : "gone"}`, 303);
    },
  );

  app.post("/account/logout", hidden, async (request, reply) => {
    const token = cookie.read(request);
    await auth.revokeSession(token, clientOf(request));
    if (token !== undefined) cookie.clear(reply);
    return reply.redirect("/account/login?done=logged-out", 303);
  });
}

function sendIcon(reply: FastifyReply, cacheControl: string): FastifyReply {
  return reply
    .type("image/svg+xml")
    .header("cache-control", cacheControl)
    .header("content-security-policy", "default-src 'none'")
    .send(ICON_SVG);
}
