import type { FastifyInstance, FastifyReply } from "fastify";
import type { Auth } from "../../auth/auth.js";
import { AuthError, UserAlreadyExistsError } from "../../auth/errors.js";
import { clientOf, type SessionCookie } from "../cookies.js";
import { setRetryAfter, statusOf } from "../errors.js";
import { STYLESHEET, STYLESHEET_PATH } from "../pages/style.js";
import { accountView, forgotView, loginView, registerView, resetView } from "../pages/views.js";
import { formTextField, PLAIN_TEXT_PATTERN, sessionIdParams } from "../schemas.js";

/**
 * The hosted pages: server-rendered forms that work without JavaScript, over
 * the same domain calls as the JSON API. They are form posts, so the
 * cross-site guard covers them like every other state-changing route.
 */
export async function accountRoutes(
  app: FastifyInstance,
  {
    auth,
    cookie,
    documentHeaders,
  }: { auth: Auth; cookie: SessionCookie; documentHeaders: Record<string, string> },
): Promise<void> {
  const development = auth.settings.mode === "development";
  const minLength = auth.settings.passwordMinLength;
  const hidden = { schema: { hide: true } };
  // This plugin's own hook (encapsulated): the document-only headers, on the pages only.
  app.addHook("onRequest", (_request, reply, done) => {
    reply.headers(documentHeaders);
    done();
  });

  app.get(STYLESHEET_PATH, hidden, async (_request, reply) =>
    reply
      .type("text/css; charset=utf-8")
      .header("cache-control", "public, max-age=3600")
      .send(STYLESHEET),
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
      return sendFailure(reply, error, (text) =>
        registerView({ email, error: message ?? text }, minLength),
      );
    }
    return reply.redirect("/account/login?done=registered", 303);
  });

  app.get<{ Querystring: { done?: string } }>(
    "/account/login",
    queryRoute,
    async (request, reply) =>
      sendPage(reply, 200, loginView({ notice: noticeOf(request.query.done) })),
  );

  app.post<{ Body: Fields }>("/account/login", formRoute, async (request, reply) => {
    const email = field(request.body, "email");
    let result: Awaited<ReturnType<Auth["login"]>>;
    try {
      result = await auth.login(email, field(request.body, "password"), clientOf(request));
    } catch (error) {
      return sendFailure(reply, error, (text) => loginView({ email, error: text }));
    }
    if (!result)
      return sendPage(reply, 401, loginView({ email, error: "Wrong email or password." }));
    cookie.set(reply, result.sessionToken);
    return reply.redirect("/account", 303);
  });

  app.get<{ Querystring: { done?: string } }>("/account", queryRoute, async (request, reply) => {
    const account = await auth.accountOf(cookie.read(request));
    if (!account) return reply.redirect("/account/login", 303);
    const { user, sessions } = account;
    return sendPage(reply, 200, accountView(user.email, sessions, noticeOf(request.query.done)));
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

  app.get("/account/forgot", hidden, async (_request, reply) =>
    sendPage(reply, 200, forgotView({})),
  );

  app.post<{ Body: Fields }>("/account/forgot", formRoute, async (request, reply) => {
    const email = field(request.body, "email");
    try {
      if (development) {
        // As the API's development mode: the token comes back instead of a mail.
        const token = await auth.getResetPasswordToken(email, clientOf(request));
        const resetLink = `/account/reset?token=${encodeURIComponent(token)}`;
        return sendPage(reply, 200, forgotView({ email, resetLink }));
      }
      await auth.requestPasswordReset(email, clientOf(request));
    } catch (error) {
      return sendFailure(reply, error, (text) => forgotView({ email, error: text }));
    }
    // The link's real lifetime (RESET_TOKEN_LIFETIME), not a fixed figure.
    const minutes = Math.round(auth.settings.resetTokenLifetime / 60_000);
    const notice = `If this email is registered, a reset link is on its way. It works for ${minutes} minutes.`;
    return sendPage(reply, 200, forgotView({ notice }));
  });

  app.get<{ Querystring: { token?: string } }>(
    "/account/reset",
    {
      schema: {
        hide: true,
        querystring: {
          type: "object",
          properties: { token: { type: "string", maxLength: 512, pattern: PLAIN_TEXT_PATTERN } },
        },
      },
    },
    async (request, reply) =>
      sendPage(reply, 200, resetView({ token: request.query.token ?? "" }, minLength)),
  );

  app.post<{ Body: Fields }>("/account/reset", formRoute, async (request, reply) => {
    const email = field(request.body, "email");
    const token = field(request.body, "reset_token");
    try {
      await auth.updatePassword(token, field(request.body, "new_password"), {
        email,
        client: clientOf(request),
      });
    } catch (error) {
      return sendFailure(reply, error, (text) =>
        resetView({ token, email, error: text }, minLength),
      );
    }
    return reply.redirect("/account/login?done=reset", 303);
  });
}

type Fields = Record<string, unknown>;

/** Fields arrive as strings from a form; anything else counts as empty. */
function field(body: Fields | undefined, name: string): string {
  const value = body?.[name];
  return typeof value === "string" ? value : "";
}

/** Form posts: any fields (the page says what is missing), strings of bounded size. */
const formRoute = {
  schema: {
    hide: true,
    body: {
      type: "object",
      additionalProperties: formTextField,
    },
  },
} as const;

const queryRoute = {
  schema: {
    hide: true,
    querystring: { type: "object", properties: { done: { type: "string", maxLength: 32 } } },
  },
} as const;

/**
 * Fixed messages chosen by a code in the query: nothing from the URL is echoed.
 * A Map, because an object would also answer "constructor" or "__proto__"
 * with what it inherits.
 */
const NOTICES = new Map<string, string>([
  ["registered", "Account created. You can log in now."],
  ["logged-out", "You are logged out."],
  ["reset", "Password changed. Log in with the new one."],
  ["revoked", "That session has ended."],
  ["gone", "That session had already ended."],
]);

function noticeOf(code: string | undefined): string | undefined {
  return code === undefined ? undefined : NOTICES.get(code);
}

function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(body);
}

/** An expected failure becomes the form again with its message; anything else goes on to the error handler. */
function sendFailure(
  reply: FastifyReply,
  error: unknown,
  render: (message: string) => string,
): FastifyReply {
  if (!(error instanceof AuthError)) throw error;
  setRetryAfter(reply, error);
  return sendPage(reply, statusOf(error), render(sentence(error.message)));
}

function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return text.endsWith(".") ? text : `${text}.`;
}
