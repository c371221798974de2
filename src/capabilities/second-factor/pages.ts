import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import QRCode from "qrcode";
import type { LoginResult } from "../../core/accounts.js";
import {
  InvalidCodeError,
  InvalidMfaTokenError,
  SecondFactorStateError,
} from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { afterLogin } from "../../core/http/return-to.js";
import type { AccountPage } from "../../core/pages/account-page.js";
import type { LoginPageParts } from "../../core/pages/login-parts.js";
import type { PageContext, PageKit } from "../../core/pages/page-context.js";
import {
  type Fields,
  failureOf,
  field,
  formRoute,
  sendFailure,
  sendPage,
  sendSessionGone,
} from "../../core/pages/page-kit.js";
import { DEFAULT_DESTINATION, type ReturnTo, withReturnTo } from "../../core/pages/return-to.js";
import type { FieldName } from "../../core/pages/views.js";
import type { Reauthenticated, SignedIn } from "../../core/reauthentication.js";
import type { SessionClient } from "../../core/session.js";
import type { SecondFactorService } from "./service.js";
import { totpUri } from "./totp.js";
import { mfaSetupView, mfaStepView, recoveryCodesView, type SetupState } from "./views.js";
import { secondFactorWords } from "./words.js";

/** What a TOTP secret looks like (base32, as newTotpSecret makes it); anything else is not shown. */
const BASE32_SECRET = /^[A-Z2-7]{16,128}$/;

/**
 * The hosted pages of two-factor authentication: the login's second step,
 * and, for a signed-in user, setting TOTP up, new recovery codes, turning it
 * off. Form posts over the same domain calls as the JSON API (routes/mfa.ts);
 * the cross-site guard covers them like every other state-changing route.
 */
export async function accountMfaRoutes(
  app: FastifyInstance,
  {
    auth,
    cookie,
    accountPage,
    returnTo,
    pages,
    loginParts,
  }: {
    auth: SecondFactorService;
    cookie: SessionCookie;
    accountPage: AccountPage;
    returnTo: ReturnTo;
    pages: PageKit;
    loginParts: readonly LoginPageParts[];
  },
): Promise<void> {
  const hidden = { schema: { hide: true } };
  // What other kinds of factor add beside the code on the second step's page (a passkey).
  const othersIn = (ctx: PageContext) => loginParts.flatMap((part) => part.secondStep?.(ctx) ?? []);

  // A page reloaded or opened from history after its form: back where the form was, nothing changed.
  for (const [path, to] of [
    ["/account/login/mfa", "/account/login"],
    ["/account/mfa/setup", "/account"],
    ["/account/mfa/confirm", "/account"],
    ["/account/mfa/recovery-codes", "/account"],
    ["/account/mfa/disable", "/account"],
  ] as const) {
    app.get(path, hidden, async (_request, reply) => reply.redirect(to, 303));
  }

  /** The second step of a login: the mfa_token the login page put in the form, and a code. */
  app.post<{ Body: Fields }>("/account/login/mfa", formRoute, async (request, reply) => {
    const mfaToken = field(request.body, "mfa_token");
    const place = returnTo.check(request.body?.return_to, request);
    if (mfaToken === "") return reply.redirect(withReturnTo("/account/login", place), 303);
    // Which of the page's two forms was sent: the app's code, or a recovery code.
    const errorField = typeof request.body?.recovery_code === "string" ? "recovery_code" : "code";
    const recovery = errorField === "recovery_code";
    const code = field(request.body, errorField);
    // The switcher leads back to the login page (this form's page needs its token).
    const ctx = pages.contextOf(request, withReturnTo("/account/login", place));
    const t = secondFactorWords.in(ctx.lang);
    const again = (status: number, error: string) =>
      sendPage(
        reply,
        status,
        mfaStepView(ctx, { mfaToken, error, errorField, returnTo: place, others: othersIn(ctx) }),
      );
    // An empty code would cost one of the token's five tries for nothing.
    if (code.trim() === "")
      return again(400, recovery ? t("step.type_recovery") : t("step.type_code"));
    let result: LoginResult;
    try {
      result = await auth.completeLogin(mfaToken, code, clientOf(request));
    } catch (error) {
      // Expired, used, or spent by wrong codes: only a new login makes a new token.
      if (error instanceof InvalidMfaTokenError)
        return reply.redirect(withReturnTo("/account/login?done=mfa-login-expired", place), 303);
      // A failed authentication, as the API answers it (401), not a bad form.
      if (error instanceof InvalidCodeError)
        return again(401, recovery ? t("step.wrong_recovery") : t("step.wrong_code"));
      // Throttled or busy: the message, Retry-After, and the same token to try again later.
      return sendFailure(reply, ctx, error, (text) =>
        mfaStepView(ctx, {
          mfaToken,
          error: text,
          errorField,
          returnTo: place,
          others: othersIn(ctx),
        }),
      );
    }
    cookie.set(reply, result.sessionToken);
    returnTo.forget(request, reply);
    // An OpenID interaction waiting for this login goes first (its own return cookie).
    return afterLogin(request, reply, place ?? DEFAULT_DESTINATION, ctx);
  });

  /** "Set up": a new pending secret (an earlier unconfirmed one is replaced), shown once with its QR code. */
  app.post("/account/mfa/setup", hidden, async (request, reply) => {
    const current = await auth.signedIn(cookie.read(request));
    if (!current) return reply.redirect("/account/login", 303);
    let begun: { secret: string; otpauthUri: string };
    try {
      begun = await auth.secondFactors.beginTotpSetup(current);
    } catch (error) {
      if (error instanceof SecondFactorStateError)
        return reply.redirect("/account?done=mfa-on-already", 303);
      throw error;
    }
    const shown = await shownKey(begun.secret, current.user.email, begun.otpauthUri);
    const ctx = pages.contextOf(request, "/account");
    return sendPage(reply, 200, mfaSetupView(ctx, { email: current.user.email, shown }));
  });

  app.post<{ Body: Fields }>("/account/mfa/confirm", formRoute, async (request, reply) => {
    const current = await auth.signedIn(cookie.read(request));
    if (!current) return reply.redirect("/account/login", 303);
    const { email } = current.user;
    // The secret comes back in a hidden field of the form for one use only:
    // to show the QR code and the key again after a wrong code or password,
    // since the user may not have added them to the app yet. It is never
    // trusted: confirmTotp checks the code against the pending secret stored
    // (sealed) by beginTotpSetup, so a changed field shows a key that cannot
    // be confirmed, and nothing more. The alternatives were worse: the domain
    // gives no way to read the pending secret back, and calling
    // beginTotpSetup again would replace the secret the user may have scanned.
    const shown = await shownKey(field(request.body, "secret"), email);
    const ctx = pages.contextOf(request, "/account");
    const t = secondFactorWords.in(ctx.lang);
    const again = (status: number, state: Omit<SetupState, "email" | "shown">) =>
      sendPage(reply, status, mfaSetupView(ctx, { email, shown, ...state }));
    let result: Reauthenticated<string[]>;
    try {
      result = await auth.secondFactors.confirmTotp(
        current,
        field(request.body, "code"),
        field(request.body, "current_password"),
        clientOf(request),
      );
    } catch (error) {
      if (error instanceof SecondFactorStateError) {
        const done = error.code === "mfa_already_enabled" ? "mfa-on-already" : "mfa-setup-gone";
        return reply.redirect(`/account?done=${done}`, 303);
      }
      if (error instanceof InvalidCodeError)
        return again(400, { error: t("setup.wrong_code"), errorField: "code" });
      const { status, message } = failureOf(reply, ctx, error);
      return again(status, { error: message, errorField: "current_password" });
    }
    if (result.outcome === "wrong_password")
      return again(403, {
        error: ctx.t("error.wrong_current_password"),
        errorField: "current_password",
      });
    if (result.outcome !== "done") return sendSessionGone(reply, cookie, result.outcome);
    const view = recoveryCodesView(ctx, { codes: result.value, notice: "codes.turned_on" });
    return sendPage(reply, 200, view);
  });

  app.post<{ Body: Fields }>("/account/mfa/recovery-codes", formRoute, (request, reply) =>
    behindPassword(
      request,
      reply,
      ["recovery_codes_password", "recovery_codes_code"],
      (current, password, client, code) =>
        auth.secondFactors.renewRecoveryCodes(current, password, client, code),
      (codes) => {
        const ctx = pages.contextOf(request, "/account");
        return sendPage(reply, 200, recoveryCodesView(ctx, { codes, notice: "codes.renewed" }));
      },
    ),
  );

  app.post<{ Body: Fields }>("/account/mfa/disable", formRoute, (request, reply) =>
    behindPassword(
      request,
      reply,
      ["mfa_off_password", "mfa_off_code"],
      (current, password, client, code) =>
        auth.secondFactors.disable(current, password, client, code),
      () => reply.redirect("/account?done=mfa-off", 303),
    ),
  );

  /**
   * A change of the account page's section behind the current password and
   * a current code (`fields`): `done` with its result, or the account page
   * again with the message by the field it is about, or the login page when
   * the session is gone.
   */
  async function behindPassword<T>(
    request: FastifyRequest<{ Body: Fields }>,
    reply: FastifyReply,
    fields:
      | ["recovery_codes_password", "recovery_codes_code"]
      | ["mfa_off_password", "mfa_off_code"],
    change: (
      current: SignedIn,
      password: string,
      client: SessionClient,
      code: string,
    ) => Promise<Reauthenticated<T>>,
    done: (value: T) => FastifyReply,
  ): Promise<FastifyReply> {
    const [passwordField, codeField] = fields;
    const token = cookie.read(request);
    const current = await auth.signedIn(token);
    if (!current) return reply.redirect("/account/login", 303);
    const ctx: PageContext = pages.contextOf(request, "/account");
    const failure = (status: number, error: string, errorField: FieldName = passwordField) =>
      accountPage.send(request, reply, token, status, { error, errorField });
    let result: Reauthenticated<T>;
    try {
      result = await change(
        current,
        field(request.body, passwordField),
        clientOf(request),
        field(request.body, codeField),
      );
    } catch (error) {
      // Turned off meanwhile (another tab, an operator): the page shows the state as it is.
      if (error instanceof SecondFactorStateError)
        return reply.redirect("/account?done=mfa-off-already", 303);
      const { status, message } = failureOf(reply, ctx, error);
      return failure(status, message);
    }
    if (result.outcome === "done") return done(result.value);
    if (result.outcome === "wrong_password")
      return failure(403, ctx.t("error.wrong_current_password"));
    if (result.outcome === "code_required")
      return failure(403, ctx.t("error.code_required"), codeField);
    if (result.outcome === "wrong_code") return failure(403, ctx.t("error.wrong_code"), codeField);
    return sendSessionGone(reply, cookie, result.outcome);
  }

  /**
   * The secret and its QR code (an SVG image made here, as a data: URL, which
   * the pages' CSP allows for img-src: no script, nothing fetched elsewhere);
   * undefined when `secret` is not one.
   */
  async function shownKey(
    secret: string,
    email: string,
    otpauthUri?: string,
  ): Promise<SetupState["shown"]> {
    if (!BASE32_SECRET.test(secret)) return undefined;
    const uri = otpauthUri ?? totpUri(secret, { issuer: auth.settings.totpIssuer, account: email });
    const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M" });
    return { secret, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}` };
  }
}
