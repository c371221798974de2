import type { FastifyInstance } from "fastify";
import type { Accounts } from "../../core/accounts.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import type { PageKit } from "../../core/pages/page-context.js";
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
import { deleteView, exportView } from "./own-data-views.js";

export interface OwnDataPagesOptions {
  auth: Pick<Accounts, "signedIn" | "deleteOwnAccount">;
  factors: SecondFactorGate;
  cookie: SessionCookie;
  pages: PageKit;
}

/**
 * The confirmation pages behind /account's "Download your data" and "Delete
 * your account": the first leads to GET /profile/export, the second asks for
 * the password (and a current code when the account has a second factor).
 */
export async function ownDataPages(
  app: FastifyInstance,
  { auth, factors, cookie, pages }: OwnDataPagesOptions,
): Promise<void> {
  const hidden = { schema: { hide: true } };

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
    return sendPage(reply, 200, deleteView(ctx, { email: current.user.email, needsCode }));
  });

  app.post<{ Body: Fields }>("/account/delete", formRoute, async (request, reply) => {
    const token = cookie.read(request);
    const current = await auth.signedIn(token);
    if (!current) return reply.redirect("/account/login", 303);
    const needsCode = await factors.isOn(current.user.id);
    const ctx = pages.contextOf(request);
    const again = (status: number, error: string, errorField: FieldName = "delete_password") =>
      sendPage(
        reply,
        status,
        deleteView(ctx, { email: current.user.email, needsCode, error, errorField }),
      );
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
