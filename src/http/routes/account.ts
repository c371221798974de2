import type { FastifyInstance, FastifyReply } from "fastify";
import type { Auth } from "../../auth/auth.js";
import {
  AuthError,
  type AuthErrorCode,
  EmailNotVerifiedError,
  SecondFactorRequiredError,
  UserAlreadyExistsError,
} from "../../auth/errors.js";
import { clientOf, type SessionCookie } from "../cookies.js";
import { setRetryAfter, statusOf } from "../errors.js";
import { drawAccountSections } from "../pages/account-sections.js";
import {
  emailChangeSection,
  registeredUnverifiedNotice,
  resendForm,
  unverifiedLoginMessage,
  verificationBanner,
} from "../pages/email-views.js";
import { FAVICON_PATH, ICON_PATH, ICON_SVG } from "../pages/icon.js";
import { mfaSection, mfaStepView } from "../pages/mfa-views.js";
import { noticeOf } from "../pages/notices.js";
import { STYLESHEET, STYLESHEET_PATH } from "../pages/style.js";
import {
  type AccountState,
  accountView,
  type FieldName,
  forgotView,
  loginView,
  registerView,
  resetLinkProblemView,
  resetView,
} from "../pages/views.js";
import { formTextField, PLAIN_TEXT_PATTERN, sessionIdParams } from "../schemas.js";

/**
 * The hosted pages: server-rendered forms that work without JavaScript, over
 * the same domain calls as the JSON API. They are form posts, so the
 * cross-site guard covers them like every other state-changing route.
 */
export async function accountRoutes(
  app: FastifyInstance,
  { auth, cookie }: { auth: Auth; cookie: SessionCookie },
): Promise<void> {
  const development = auth.settings.mode === "development";
  const minLength = auth.settings.passwordMinLength;
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
    if (auth.settings.emailVerification !== "required")
      return reply.redirect("/account/login?done=registered", 303);
    // No login until the address is verified: where the link is, and a way to a new one.
    const notice = registeredUnverifiedNotice(auth.emailAddresses.mailsLinks);
    return sendPage(reply, 200, loginView({ email, notice, extra: resendForm(email) }));
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
      const client = { ...clientOf(request), way: "page" } as const;
      result = await auth.login(email, field(request.body, "password"), client);
    } catch (error) {
      // The password was right: the second step's page (account-mfa.ts takes its form), no session yet.
      if (error instanceof SecondFactorRequiredError)
        return sendPage(reply, 200, mfaStepView({ mfaToken: error.mfaToken }));
      // Right password, unverified address (EMAIL_VERIFICATION=required): a way to a new link.
      if (error instanceof EmailNotVerifiedError) {
        const message = unverifiedLoginMessage(error.mailed);
        const state = { email, error: message, extra: resendForm(email) };
        return sendPage(reply, 403, loginView(state));
      }
      // The email stays filled in: the password is what to type again.
      return sendFailure(reply, error, (text, code) =>
        loginView({ email, error: text, errorField: fieldInError(code, "password", "password") }),
      );
    }
    if (!result) {
      const state = { email, error: "Wrong email or password.", errorField: "password" } as const;
      return sendPage(reply, 401, loginView(state));
    }
    cookie.set(reply, result.sessionToken);
    return reply.redirect("/account", 303);
  });

  app.get<{ Querystring: { done?: string } }>("/account", queryRoute, async (request, reply) =>
    sendAccountPage(reply, auth, cookie.read(request), 200, {
      notice: noticeOf(request.query.done),
      emailChanged: request.query.done === "email-changed",
    }),
  );

  app.post<{ Body: Fields }>("/account/password", formRoute, async (request, reply) => {
    const token = cookie.read(request);
    let outcome: Awaited<ReturnType<Auth["changePassword"]>>;
    // The page again, with the message by the field it is about.
    const failure = (status: number, state: Partial<AccountState>) =>
      sendAccountPage(reply, auth, token, status, state);
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
      return sendFailure(reply, error, (text) =>
        forgotView({ email, error: text, errorField: "email" }),
      );
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
    async (request, reply) => {
      const token = request.query.token ?? "";
      if (token === "") return sendPage(reply, 400, resetLinkProblemView("missing"));
      // A link that does not work any more still shows the form: it says so when sent.
      const email = (await auth.passwordResets.tokenOwner(token)) ?? undefined;
      return sendPage(reply, 200, resetView({ token, email }, minLength));
    },
  );

  app.post<{ Body: Fields }>("/account/reset", formRoute, async (request, reply) => {
    // The token names its account; an email, when a form still sends one, must be its owner's.
    const email = field(request.body, "email") || undefined;
    const token = field(request.body, "reset_token");
    try {
      await auth.updatePassword(token, field(request.body, "new_password"), {
        email,
        client: clientOf(request),
      });
    } catch (error) {
      // The form again (a refused password): still named for its account.
      const owner = (await auth.passwordResets.tokenOwner(token)) ?? undefined;
      return sendFailure(reply, error, (text, code) =>
        code === "invalid_reset_token"
          ? resetLinkProblemView("invalid")
          : resetView(
              { token, email: owner, error: text, errorField: fieldInError(code, "new_password") },
              minLength,
            ),
      );
    }
    return reply.redirect("/account/login?done=reset", 303);
  });
}

export type Fields = Record<string, unknown>;

export const WRONG_CURRENT_PASSWORD = "The current password is not right.";
export const CODE_REQUIRED =
  "This change needs a current code from your authenticator app (or a recovery code) too.";
export const WRONG_CODE = "That code is not right, or was used already.";

/** Fields arrive as strings from a form; anything else counts as empty. */
export function field(body: Fields | undefined, name: string): string {
  const value = body?.[name];
  return typeof value === "string" ? value : "";
}

/** Form posts: any fields (the page says what is missing), strings of bounded size. */
export const formRoute = {
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

/** The field an error is about, by its code; `otherwise` for the rest (throttled, busy). */
function fieldInError(
  code: AuthErrorCode,
  passwordField: FieldName,
  otherwise?: FieldName,
): FieldName | undefined {
  if (code === "invalid_email" || code === "email_taken" || code === "unknown_email")
    return "email";
  if (code === "invalid_password") return passwordField;
  return otherwise;
}

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(body);
}

/** An expected failure becomes the form again with its message; anything else goes on to the error handler. */
export function sendFailure(
  reply: FastifyReply,
  error: unknown,
  render: (message: string, code: AuthErrorCode) => string,
): FastifyReply {
  if (!(error instanceof AuthError)) throw error;
  setRetryAfter(reply, error);
  return sendPage(reply, statusOf(error), render(sentence(error.message), error.code));
}

/**
 * The account page of this session with `state` (a notice, or an error by its
 * field), or the login page when the session is over.
 */
export async function sendAccountPage(
  reply: FastifyReply,
  auth: Auth,
  token: string | undefined,
  status: number,
  state: Partial<AccountState> & AccountExtras,
): Promise<FastifyReply> {
  const account = await auth.accountOf(token);
  if (!account) return reply.redirect("/account/login", 303);
  const { user, sessions } = account;
  const { verificationLink, confirmationLink, newEmail, emailChanged, ...rest } = state;
  const page = { email: user.email, sessions, ...rest };
  // The address from the session, never from the URL.
  if (emailChanged) page.notice = `Your email address is now ${user.email}.`;
  const factors = await auth.secondFactors.status(user.id);
  const secondFactor = mfaSection({ ...page, status: factors });
  const unverified = auth.emailAddresses.enabled && user.emailVerifiedAt === null;
  const emailBanner = unverified ? verificationBanner(verificationLink) : undefined;
  const needsCode = factors.totp || (await auth.secondFactors.isOn(user.id));
  const emailChange = emailChangeSection({ ...page, newEmail, confirmationLink, needsCode });
  const minLength = auth.settings.passwordMinLength;
  const sections = await drawAccountSections(auth, account);
  const view = { ...page, secondFactor, emailBanner, emailChange, sections };
  return sendPage(reply, status, accountView(view, minLength));
}

/** What the account page is told besides AccountState (the email sections' parts). */
export interface AccountExtras {
  /** Development: a new verification link, or an email change's confirmation link. */
  verificationLink?: string;
  confirmationLink?: string;
  /** The change form's new address, kept after an error. */
  newEmail?: string;
  /** The notice that the address changed, naming the new one. */
  emailChanged?: boolean;
}

/**
 * A change refused at its current-password check for want of a session: none
 * (log in), or the one too many wrong passwords ended (the cookie goes, and
 * the login page says why).
 */
export function sendSessionGone(
  reply: FastifyReply,
  cookie: SessionCookie,
  outcome: "no_session" | "session_ended" | "code_required" | "wrong_code",
): FastifyReply {
  // A change behind a second factor answers its code outcomes itself; a
  // check without one (a password change) never gives them.
  if (outcome === "code_required" || outcome === "wrong_code")
    throw new Error(`unexpected reauthentication outcome ${outcome}`);
  if (outcome === "no_session") return reply.redirect("/account/login", 303);
  cookie.clear(reply);
  return reply.redirect("/account/login?done=session-ended", 303);
}

function sendIcon(reply: FastifyReply, cacheControl: string): FastifyReply {
  return reply
    .type("image/svg+xml")
    .header("cache-control", cacheControl)
    .header("content-security-policy", "default-src 'none'")
    .send(ICON_SVG);
}

export function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return text.endsWith(".") ? text : `${text}.`;
}
