import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import QRCode from "qrcode";
import type { LoginResult } from "../../core/accounts.js";
import {
  AuthError,
  InvalidCodeError,
  InvalidMfaTokenError,
  SecondFactorStateError,
} from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { setRetryAfter, statusOf } from "../../core/http/errors.js";
import { afterLogin } from "../../core/http/return-to.js";
import type { AccountPage } from "../../core/pages/account-page.js";
import type { LoginPageParts } from "../../core/pages/login-parts.js";
import {
  CODE_REQUIRED,
  type Fields,
  field,
  formRoute,
  sendFailure,
  sendPage,
  sendSessionGone,
  sentence,
  WRONG_CODE,
  WRONG_CURRENT_PASSWORD,
} from "../../core/pages/page-kit.js";
import type { FieldName } from "../../core/pages/views.js";
import type { Reauthenticated, SignedIn } from "../../core/reauthentication.js";
import type { SessionClient } from "../../core/session.js";
import type { SecondFactorService } from "./service.js";
import { totpUri } from "./totp.js";
import { mfaSetupView, mfaStepView, recoveryCodesView, type SetupState } from "./views.js";

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
    loginParts,
  }: {
    auth: SecondFactorService;
    cookie: SessionCookie;
    accountPage: AccountPage;
    loginParts: readonly LoginPageParts[];
  },
): Promise<void> {
  const hidden = { schema: { hide: true } };
  // What other kinds of factor add beside the code on the second step's page (a passkey).
  const others = loginParts.flatMap((part) => part.secondStep ?? []);

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
    if (mfaToken === "") return reply.redirect("/account/login", 303);
    // Which of the page's two forms was sent: the app's code, or a recovery code.
    const errorField = typeof request.body?.recovery_code === "string" ? "recovery_code" : "code";
    const recovery = errorField === "recovery_code";
    const code = field(request.body, errorField);
    const again = (status: number, error: string) =>
      sendPage(reply, status, mfaStepView({ mfaToken, error, errorField, others }));
    // An empty code would cost one of the token's five tries for nothing.
    if (code.trim() === "")
      return again(
        400,
        recovery ? "Type one of your recovery codes." : "Type the code from your app.",
      );
    let result: LoginResult;
    try {
      result = await auth.completeLogin(mfaToken, code, clientOf(request));
    } catch (error) {
      // Expired, used, or spent by wrong codes: only a new login makes a new token.
      if (error instanceof InvalidMfaTokenError)
        return reply.redirect("/account/login?done=mfa-login-expired", 303);
      // A failed authentication, as the API answers it (401), not a bad form.
      if (error instanceof InvalidCodeError)
        return again(
          401,
          recovery
            ? "That recovery code is not right, or it was used already."
            : "That code is not right. Type the one your app shows now.",
        );
      // Throttled or busy: the message, Retry-After, and the same token to try again later.
      return sendFailure(reply, error, (text) =>
        mfaStepView({ mfaToken, error: text, errorField, others }),
      );
    }
    cookie.set(reply, result.sessionToken);
    return afterLogin(request, reply, "/account");
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
    return sendPage(reply, 200, mfaSetupView({ email: current.user.email, shown }));
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
    const again = (status: number, state: Omit<SetupState, "email" | "shown">) =>
      sendPage(reply, status, mfaSetupView({ email, shown, ...state }));
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
      if (error instanceof InvalidCodeError) {
        const message =
          "That code is not right. Check that the app shows this account, and type the code it shows now.";
        return again(400, { error: message, errorField: "code" });
      }
      if (!(error instanceof AuthError)) throw error;
      setRetryAfter(reply, error);
      return again(statusOf(error), {
        error: sentence(error.message),
        errorField: "current_password",
      });
    }
    if (result.outcome === "wrong_password")
      return again(403, { error: WRONG_CURRENT_PASSWORD, errorField: "current_password" });
    if (result.outcome !== "done") return sendSessionGone(reply, cookie, result.outcome);
    const notice = "Two-factor authentication is on.";
    return sendPage(reply, 200, recoveryCodesView({ codes: result.value, notice }));
  });

  app.post<{ Body: Fields }>("/account/mfa/recovery-codes", formRoute, (request, reply) =>
    behindPassword(
      request,
      reply,
      ["recovery_codes_password", "recovery_codes_code"],
      (current, password, client, code) =>
        auth.secondFactors.renewRecoveryCodes(current, password, client, code),
      (codes) => {
        const notice = "New recovery codes: the old ones do not work any more.";
        return sendPage(reply, 200, recoveryCodesView({ codes, notice }));
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
    const failure = (status: number, error: string, errorField: FieldName = passwordField) =>
      accountPage.send(reply, token, status, { error, errorField });
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
      if (!(error instanceof AuthError)) throw error;
      setRetryAfter(reply, error);
      return failure(statusOf(error), sentence(error.message));
    }
    if (result.outcome === "done") return done(result.value);
    if (result.outcome === "wrong_password") return failure(403, WRONG_CURRENT_PASSWORD);
    if (result.outcome === "code_required") return failure(403, CODE_REQUIRED, codeField);
    if (result.outcome === "wrong_code") return failure(403, WRONG_CODE, codeField);
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
