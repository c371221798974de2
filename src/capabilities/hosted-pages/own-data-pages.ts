import type { FastifyInstance } from "fastify";
import type { Accounts } from "../../core/accounts.js";
import { AuthError } from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { setRetryAfter, statusOf } from "../../core/http/errors.js";
import {
  CODE_REQUIRED,
  type Fields,
  field,
  formRoute,
  sendPage,
  sendSessionGone,
  sentence,
  WRONG_CODE,
  WRONG_CURRENT_PASSWORD,
} from "../../core/pages/page-kit.js";
import type { FieldName } from "../../core/pages/views.js";
import type { SecondFactorGate } from "../../core/second-step.js";
import { deleteView, exportView } from "./own-data-views.js";

export interface OwnDataPagesOptions {
  auth: Pick<Accounts, "signedIn" | "deleteOwnAccount">;
  factors: SecondFactorGate;
  cookie: SessionCookie;
}

/**
 * The confirmation pages behind /account's "Download your data" and "Delete
 * your account": the first leads to GET /profile/export, the second asks for
 * the password (and a current code when the account has a second factor).
 */
export async function ownDataPages(
  app: FastifyInstance,
  { auth, factors, cookie }: OwnDataPagesOptions,
): Promise<void> {
  const hidden = { schema: { hide: true } };

  app.get("/account/export", hidden, async (request, reply) => {
    const current = await auth.signedIn(cookie.read(request));
    if (!current) return reply.redirect("/account/login", 303);
    return sendPage(reply, 200, exportView());
  });

  app.get("/account/delete", hidden, async (request, reply) => {
    const current = await auth.signedIn(cookie.read(request));
    if (!current) return reply.redirect("/account/login", 303);
    const needsCode = await factors.isOn(current.user.id);
    return sendPage(reply, 200, deleteView({ email: current.user.email, needsCode }));
  });

  app.post<{ Body: Fields }>("/account/delete", formRoute, async (request, reply) => {
    const token = cookie.read(request);
    const current = await auth.signedIn(token);
    if (!current) return reply.redirect("/account/login", 303);
    const needsCode = await factors.isOn(current.user.id);
    const again = (status: number, error: string, errorField: FieldName = "delete_password") =>
      sendPage(
        reply,
        status,
        deleteView({ email: current.user.email, needsCode, error, errorField }),
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
      if (!(error instanceof AuthError)) throw error;
      setRetryAfter(reply, error);
      return again(statusOf(error), sentence(error.message));
    }
    if (result.outcome === "wrong_password") return again(403, WRONG_CURRENT_PASSWORD);
    if (result.outcome === "code_required") return again(403, CODE_REQUIRED, "delete_code");
    if (result.outcome === "wrong_code") return again(403, WRONG_CODE, "delete_code");
    if (result.outcome !== "done") return sendSessionGone(reply, cookie, result.outcome);
    cookie.clear(reply);
    return reply.redirect("/account/login?done=account-deleted", 303);
  });
}
