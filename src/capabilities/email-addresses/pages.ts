import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InvalidVerificationTokenError, UserAlreadyExistsError } from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { PLAIN_TEXT_PATTERN } from "../../core/http/schemas.js";
import type { AccountPage } from "../../core/pages/account-page.js";
import type { PageKit } from "../../core/pages/page-context.js";
import {
  type Fields,
  failureOf,
  field,
  formRoute,
  sendFailure,
  sendPage,
  sendSessionGone,
} from "../../core/pages/page-kit.js";
import type { ReturnTo } from "../../core/pages/return-to.js";
import { loginView } from "../../core/pages/views.js";
import { normalizeEmail } from "../../core/user.js";
import type { EmailAddressService } from "./service.js";
import {
  CONFIRM_CHANGE_PATH,
  emailLinkProblemView,
  emailLinkView,
  type LinkPurpose,
  linkPath,
  sentLink,
  VERIFY_PATH,
} from "./views.js";
import { emailWords } from "./words.js";

/** A link's token in the query: plain text of bounded size, as the reset page's. */
const tokenQuery = {
  schema: {
    hide: true,
    querystring: {
      type: "object",
      properties: { token: { type: "string", maxLength: 512, pattern: PLAIN_TEXT_PATTERN } },
    },
  },
} as const;

/**
 * The hosted pages of verified addresses and email changes, over the same
 * domain calls as the JSON API (routes/verification.ts): the pages mailed
 * links open (their button POSTs the token: a GET changes nothing, so mail
 * scanners that fetch links change nothing), a new verification link (from
 * /account's banner, or from the login page without a session), and the
 * change-email form of /account. The cross-site guard covers the POSTs like
 * every other state-changing route; a token never goes into a redirect.
 */
export async function accountEmailRoutes(
  app: FastifyInstance,
  {
    auth,
    cookie,
    accountPage,
    returnTo,
    pages,
  }: {
    auth: EmailAddressService;
    cookie: SessionCookie;
    accountPage: AccountPage;
    returnTo: ReturnTo;
    pages: PageKit;
  },
): Promise<void> {
  const hidden = { schema: { hide: true } };

  // A form's address reloaded or opened from history: the account page, nothing changed.
  for (const path of ["/account/verification", "/account/email"]) {
    app.get(path, hidden, async (_request, reply) => reply.redirect("/account", 303));
  }

  /** The page of a mailed link: only a button, which POSTs the token from a hidden field. */
  const linkPage =
    (purpose: LinkPurpose) =>
    async (request: FastifyRequest<{ Querystring: { token?: string } }>, reply: FastifyReply) => {
      const token = request.query.token ?? "";
      const ctx = pages.contextOf(request);
      if (token === "") return sendPage(reply, 400, emailLinkProblemView(ctx, purpose, "missing"));
      return sendPage(reply, 200, emailLinkView(ctx, { purpose, token }));
    };
  app.get<{ Querystring: { token?: string } }>(VERIFY_PATH, tokenQuery, linkPage("verify"));
  app.get<{ Querystring: { token?: string } }>(CONFIRM_CHANGE_PATH, tokenQuery, linkPage("change"));

  /**
   * Where a followed link leads: the account page when this browser is
   * signed in to the account whose address it was, else the login page.
   */
  async function signedInAs(token: string | undefined, email: string): Promise<boolean> {
    const current = await auth.signedIn(token);
    return current !== null && normalizeEmail(current.user.email) === normalizeEmail(email);
  }

  app.post<{ Body: Fields }>(VERIFY_PATH, formRoute, async (request, reply) => {
    const token = field(request.body, "token");
    const ctx = pages.contextOf(request, linkPath("verify", token));
    let email: string;
    try {
      ({ email } = await auth.emailAddresses.verify(token, clientOf(request)));
    } catch (error) {
      if (error instanceof InvalidVerificationTokenError)
        return sendPage(reply, 400, emailLinkProblemView(ctx, "verify", "invalid"));
      // Busy or unavailable: the same button, to press again.
      return sendFailure(reply, ctx, error, (text) =>
        emailLinkView(ctx, { purpose: "verify", token, error: text }),
      );
    }
    if (await signedInAs(cookie.read(request), email))
      return reply.redirect("/account?done=email-verified", 303);
    return reply.redirect("/account/login?done=verified-log-in", 303);
  });

  app.post<{ Body: Fields }>(CONFIRM_CHANGE_PATH, formRoute, async (request, reply) => {
    const token = field(request.body, "token");
    const ctx = pages.contextOf(request, linkPath("change", token));
    let email: string;
    try {
      ({ email } = await auth.emailAddresses.confirmChange(token, clientOf(request)));
    } catch (error) {
      if (error instanceof InvalidVerificationTokenError)
        return sendPage(reply, 400, emailLinkProblemView(ctx, "change", "invalid"));
      // Taken since the change was asked for: decided now, by the unique index.
      if (error instanceof UserAlreadyExistsError)
        return sendPage(reply, 409, emailLinkProblemView(ctx, "change", "taken"));
      return sendFailure(reply, ctx, error, (text) =>
        emailLinkView(ctx, { purpose: "change", token, error: text }),
      );
    }
    // The session that asked lives on; any other of the account's has ended.
    if (await signedInAs(cookie.read(request), email))
      return reply.redirect("/account?done=email-changed", 303);
    const login = pages.contextOf(request, "/account/login");
    const notice = emailWords.in(login.lang)("notice.log_in_with", { email });
    return sendPage(reply, 200, loginView(login, { email, notice }));
  });

  /**
   * "Send a new link": from /account's banner (no email field: the signed-in
   * user's address), or from the login page and a dead link's page (the
   * email field; no session needed, and in production the same notice
   * whatever the email). Development shows the link instead of mailing it.
   */
  app.post<{ Body: Fields }>("/account/verification", formRoute, async (request, reply) => {
    const typed = field(request.body, "email");
    if (typed !== "") {
      // From the login page: a sign-in's return_to waits in its cookie.
      const place = returnTo.remembered(request);
      const ctx = pages.contextOf(request, "/account/login");
      let link: string | undefined;
      try {
        link = await newLink(typed, request);
      } catch (error) {
        return sendFailure(reply, ctx, error, (text) =>
          loginView(ctx, { email: typed, error: text, errorField: "email", returnTo: place }),
        );
      }
      const t = emailWords.in(ctx.lang);
      const notice = link ? t("notice.link_ready") : t("notice.link_requested");
      const state = { email: typed, notice, extra: sentLink(ctx, link), returnTo: place };
      return sendPage(reply, 200, loginView(ctx, state));
    }
    const token = cookie.read(request);
    const current = await auth.signedIn(token);
    if (!current) return reply.redirect("/account/login", 303);
    if (current.user.emailVerifiedAt)
      return reply.redirect("/account?done=email-verified-already", 303);
    let link: string | undefined;
    try {
      link = await newLink(current.user.email, request);
    } catch (error) {
      const { status, message } = failureOf(reply, pages.contextOf(request), error);
      return accountPage.send(request, reply, token, status, { error: message });
    }
    if (link === undefined) return reply.redirect("/account?done=verification-sent", 303);
    const notice = emailWords.in(pages.languageOf(request))("notice.link_ready");
    return accountPage.send(request, reply, token, 200, { notice, verificationLink: link });
  });

  /** A new verification link: its page's path in development, undefined when it was mailed. */
  async function newLink(
    email: string,
    request: Parameters<typeof clientOf>[0],
  ): Promise<string | undefined> {
    const token = await auth.emailAddresses.requestVerification(email, clientOf(request));
    return token === null ? undefined : linkPath("verify", token);
  }

  /** "Change email": the new address and the password; a link then goes to the new address. */
  app.post<{ Body: Fields }>("/account/email", formRoute, async (request, reply) => {
    const token = cookie.read(request);
    const current = await auth.signedIn(token);
    if (!current) return reply.redirect("/account/login", 303);
    const newEmail = field(request.body, "new_email");
    // The page again, with the typed address kept and the message by its field.
    const failure = (
      status: number,
      error: string,
      errorField: "new_email" | "email_password" | "email_code",
    ) => accountPage.send(request, reply, token, status, { error, errorField, newEmail });
    const ctx = pages.contextOf(request, "/account");
    let result: Awaited<ReturnType<EmailAddressService["emailAddresses"]["requestChange"]>>;
    try {
      result = await auth.emailAddresses.requestChange(
        current,
        newEmail,
        field(request.body, "email_password"),
        clientOf(request),
        field(request.body, "email_code"),
      );
    } catch (error) {
      const { status, message, code } = failureOf(reply, ctx, error);
      const about = code === "invalid_email" || code === "same_email";
      return failure(status, message, about ? "new_email" : "email_password");
    }
    if (result.outcome === "wrong_password")
      return failure(403, ctx.t("error.wrong_current_password"), "email_password");
    if (result.outcome === "code_required")
      return failure(403, ctx.t("error.code_required"), "email_code");
    if (result.outcome === "wrong_code")
      return failure(403, ctx.t("error.wrong_code"), "email_code");
    if (result.outcome !== "done") return sendSessionGone(reply, cookie, result.outcome);
    if (result.value === null) return reply.redirect("/account?done=email-change-sent", 303);
    const notice = emailWords.in(ctx.lang)("notice.change_ready", { email: newEmail });
    const confirmationLink = linkPath("change", result.value);
    return accountPage.send(request, reply, token, 200, { notice, confirmationLink });
  });
}
