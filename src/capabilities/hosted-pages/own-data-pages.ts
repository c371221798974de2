import type { FastifyInstance } from "fastify";
import type { Accounts } from "../../core/accounts.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import type { LoginPageParts } from "../../core/pages/login-parts.js";
import type { PageContext, PageKit } from "../../core/pages/page-context.js";
import {
  type Fields,
  failureOf,
  field,
  formRoute,
  sendPage,
  sendSessionGone,
} from "../../core/pages/page-kit.js";
import type { FieldName } from "../../core/pages/views.js";
import type { SecondFactorGate } from "../../core/second-step.js";
import { html } from "../../platform/pages/html.js";
import { deleteView, exportView } from "./own-data-views.js";

export interface OwnDataPagesOptions {
  auth: Pick<Accounts, "signedIn" | "deleteOwnAccount">;
  factors: SecondFactorGate;
  cookie: SessionCookie;
  pages: PageKit;
  /** Every capability's page parts: a passkey offered instead of the code. */
  loginParts: readonly LoginPageParts[];
}

/**
 * The confirmation pages behind /account's "Download your data" and "Delete
 * your account": the first leads to GET /profile/export, the second asks for
 * the password (and a current code when the account has a second factor).
 */
export async function ownDataPages(
  app: FastifyInstance,
  { auth, factors, cookie, pages, loginParts }: OwnDataPagesOptions,
): Promise<void> {
  const hidden = { schema: { hide: true } };
  /** What the capabilities offer beside the code field (none when no code is asked). */
  const choices = async (ctx: PageContext, userId: number, needsCode: boolean) =>
    needsCode
      ? Promise.all(loginParts.map((part) => part.factorChoice?.(ctx, userId) ?? html``))
      : [];

  app.get("/account/export", hidden, async (request, reply) => {
    const current = await auth.signedIn(cookie.read(request));
    if (!current) return reply.redirect("/account/login", 303);
    return sendPage(reply, 200, exportView(pages.contextOf(request)));
  });

  app.get("/account/delete", hidden, async (request, reply) => {
    const current = await auth.signedIn(cookie.read(request));
    if (!current) return reply.redirect("/account/login", 303);
    const needsCode = await factors.isOn(current.user.id);
    const ctx = pages.contextOf(request);
    const extra = await choices(ctx, current.user.id, needsCode);
    return sendPage(reply, 200, deleteView(ctx, { email: current.user.email, needsCode, extra }));
  });

  app.post<{ Body: Fields }>("/account/delete", formRoute, async (request, reply) => {
    const token = cookie.read(request);
    const current = await auth.signedIn(token);
    if (!current) return reply.redirect("/account/login", 303);
    const needsCode = await factors.isOn(current.user.id);
    const ctx = pages.contextOf(request);
    const again = async (
      status: number,
      error: string,
      errorField: FieldName = "delete_password",
    ) => {
      const extra = await choices(ctx, current.user.id, needsCode);
      const state = { email: current.user.email, needsCode, extra, error, errorField };
      return sendPage(reply, status, deleteView(ctx, state));
    };
    let result: Awaited<ReturnType<Accounts["deleteOwnAccount"]>>;
    try {
      result = await auth.deleteOwnAccount(
        token,
        {
          password: field(request.body, "delete_password"),
          code: field(request.body, "delete_code"),
        },
        clientOf(request),
      );
    } catch (error) {
      const { status, message } = failureOf(reply, ctx, error);
      return again(status, message);
    }
    if (result.outcome === "wrong_password")
      return again(403, ctx.t("error.wrong_current_password"));
    if (result.outcome === "code_required")
      return again(403, ctx.t("error.code_required"), "delete_code");
    if (result.outcome === "wrong_code")
      return again(403, ctx.t("error.wrong_code"), "delete_code");
    if (result.outcome !== "done") return sendSessionGone(reply, cookie, result.outcome);
    cookie.clear(reply);
    return reply.redirect("/account/login?done=account-deleted", 303);
  });
}
