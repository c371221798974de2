import type { FastifyInstance, FastifyReply } from "fastify";
import type { Accounts, LoginResult } from "../../core/accounts.js";
import { AuthError, UserAlreadyExistsError } from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { setRetryAfter, statusOf } from "../../core/http/errors.js";
import { afterLogin } from "../../core/http/return-to.js";
import { sessionIdParams } from "../../core/http/schemas.js";
import type { AccountPage, AccountPageState } from "../../core/pages/account-page.js";
import type { LoginPageParts } from "../../core/pages/login-parts.js";
import { noticeOf } from "../../core/pages/notices.js";
import {
  type Fields,
  field,
  fieldInError,
  formRoute,
  queryRoute,
  sendFailure,
  sendPage,
  sendSessionGone,
  sentence,
  WRONG_CURRENT_PASSWORD,
} from "../../core/pages/page-kit.js";
import { type FormState, loginView, registerView } from "../../core/pages/views.js";
import type { Html } from "../../platform/pages/html.js";
import { FAVICON_PATH, ICON_PATH, ICON_SVG } from "../../platform/pages/icon.js";
import { STYLESHEET, STYLESHEET_PATH } from "../../platform/pages/style.js";

export interface HostedPagesOptions {
  auth: Accounts;
  cookie: SessionCookie;
  accountPage: AccountPage;
  /** What the capabilities add to the login and registration pages. */
  loginParts: readonly LoginPageParts[];
}

/**
 * The hosted pages: server-rendered forms that work without JavaScript, over
 * the same domain calls as the JSON API. They are form posts, so the
 * cross-site guard covers them like every other state-changing route.
 */
export async function accountRoutes(
  app: FastifyInstance,
  { auth, cookie, accountPage, loginParts }: HostedPagesOptions,
): Promise<void> {
  const minLength = auth.settings.passwordMinLength;
  // The login page with what the capabilities add under its form (a passkey sign-in).
  const underTheForm = loginParts.flatMap((part) => part.login ?? []);
  const loginPage = (state: FormState & { extra?: Html }) =>
    loginView({ ...state, parts: underTheForm });
  const hidden = { schema: { hide: true } };

  app.get(STYLESHEET_PATH, hidden, async (_request, reply) =>
    reply
      .type("text/css; charset=utf-8")
      .header("cache-control", "public, max-age=3600")
      .send(STYLESHEET),
  );

  // Its address changes with its content (ICON_PATH), so it may be kept for a year.
  app.get(ICON_PATH, hidden, async (_request, reply) =>
    sendIcon(reply, "public, max-age=31536000, immutable"),
  );
  // A fixed address: kept a week, so a new icon shows within one.
  app.get(FAVICON_PATH, hidden, async (_request, reply) =>
    sendIcon(reply, "public, max-age=604800"),
  );

  app.get("/account/register", hidden, async (_request, reply) =>
    sendPage(reply, 200, registerView({}, minLength)),
  );

  app.post<{ Body: Fields }>("/account/register", formRoute, async (request, reply) => {
    const email = field(request.body, "email");
    try {
      await auth.registerUser(email, field(request.body, "password"), clientOf(request));
    } catch (error) {
      const message =
        error instanceof UserAlreadyExistsError ? "This email is already registered." : undefined;
      return sendFailure(reply, error, (text, code) =>
        registerView(
          { email, error: message ?? text, errorField: fieldInError(code, "password") },
          minLength,
        ),
      );
    }
    // More to do before a login (verify the address): the part that knows says what.
    const next = loginParts.map((part) => part.afterRegistration?.(email)).find(Boolean);
    if (!next) return reply.redirect("/account/login?done=registered", 303);
    return sendPage(reply, 200, loginPage({ email, ...next }));
  });

  app.get<{ Querystring: { done?: string } }>(
    "/account/login",
    queryRoute,
    async (request, reply) =>
      sendPage(reply, 200, loginPage({ notice: noticeOf(request.query.done) })),
  );

  app.post<{ Body: Fields }>("/account/login", formRoute, async (request, reply) => {
    const email = field(request.body, "email");
    let result: LoginResult | null;
    try {
      const client = { ...clientOf(request), way: "page" } as const;
      result = await auth.login(email, field(request.body, "password"), client);
    } catch (error) {
      // The password was right and there is more to do (the second step, an
      // unverified address): the page of the part that knows.
      const next = loginParts.map((part) => part.pageFor?.(error, email, loginParts)).find(Boolean);
      if (next) return sendPage(reply, next.status, next.body);
      // The email stays filled in: the password is what to type again.
      return sendFailure(reply, error, (text, code) =>
        loginPage({ email, error: text, errorField: fieldInError(code, "password", "password") }),
      );
    }
    if (!result) {
      const state = { email, error: "Wrong email or password.", errorField: "password" } as const;
      return sendPage(reply, 401, loginPage(state));
    }
    cookie.set(reply, result.sessionToken);
    return afterLogin(request, reply, "/account");
  });

  // After a sign-in made by a script (a passkey): where the login was asked to go back to.
  app.get("/account/login/continue", { schema: { hide: true } }, async (request, reply) =>
    afterLogin(request, reply, "/account"),
  );

  app.get<{ Querystring: { done?: string } }>("/account", queryRoute, async (request, reply) =>
    accountPage.send(reply, cookie.read(request), 200, {
      notice: noticeOf(request.query.done),
      emailChanged: request.query.done === "email-changed",
    }),
  );

  app.post<{ Body: Fields }>("/account/password", formRoute, async (request, reply) => {
    const token = cookie.read(request);
    let outcome: Awaited<ReturnType<Accounts["changePassword"]>>;
    // The page again, with the message by the field it is about.
    const failure = (status: number, state: AccountPageState) =>
      accountPage.send(reply, token, status, state);
    try {
      outcome = await auth.changePassword(
        token,
        field(request.body, "current_password"),
        field(request.body, "new_password"),
        clientOf(request),
      );
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      setRetryAfter(reply, error);
      const errorField = error.code === "invalid_password" ? "new_password" : "current_password";
      return failure(statusOf(error), { error: sentence(error.message), errorField });
    }
    if (outcome === "changed") return reply.redirect("/account?done=password-changed", 303);
    if (outcome !== "wrong_password") return sendSessionGone(reply, cookie, outcome);
    return failure(403, { error: WRONG_CURRENT_PASSWORD, errorField: "current_password" });
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
