import type { FastifyInstance } from "fastify";
import { clientOf } from "../../core/http/cookies.js";
import { PLAIN_TEXT_PATTERN } from "../../core/http/schemas.js";
import type { PageKit } from "../../core/pages/page-context.js";
import {
  type Fields,
  field,
  fieldInError,
  formRoute,
  sendFailure,
  sendPage,
} from "../../core/pages/page-kit.js";
import type { PasswordResetService } from "./service.js";
import { forgotView, resetLinkProblemView, resetView } from "./views.js";
import { resetWords } from "./words.js";

/** The hosted pages of the reset: ask for a link (/account/forgot), use it (/account/reset). */
export async function passwordResetPages(
  app: FastifyInstance,
  { auth, pages }: { auth: PasswordResetService; pages: PageKit },
): Promise<void> {
  const development = auth.settings.mode === "development";
  const minLength = auth.settings.passwordMinLength;
  const hidden = { schema: { hide: true } };

  app.get("/account/forgot", hidden, async (request, reply) =>
    sendPage(reply, 200, forgotView(pages.contextOf(request), {})),
  );

  app.post<{ Body: Fields }>("/account/forgot", formRoute, async (request, reply) => {
    const email = field(request.body, "email");
    const ctx = pages.contextOf(request);
    try {
      if (development) {
        // As the API's development mode: the token comes back instead of a mail.
        const token = await auth.passwordResets.getResetPasswordToken(email, clientOf(request));
        const resetLink = `/account/reset?token=${encodeURIComponent(token)}`;
        return sendPage(reply, 200, forgotView(ctx, { email, resetLink }));
      }
      await auth.passwordResets.requestPasswordReset(email, clientOf(request));
    } catch (error) {
      return sendFailure(reply, ctx, error, (text) =>
        forgotView(ctx, { email, error: text, errorField: "email" }),
      );
    }
    // The link's real lifetime (RESET_TOKEN_LIFETIME), not a fixed figure.
    const minutes = Math.round(auth.settings.resetTokenLifetime / 60_000);
    const notice = resetWords.in(ctx.lang)("forgot.sent", { minutes });
    return sendPage(reply, 200, forgotView(ctx, { notice }));
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
      const ctx = pages.contextOf(request);
      if (token === "") return sendPage(reply, 400, resetLinkProblemView(ctx, "missing"));
      // A link that does not work any more still shows the form: it says so when sent.
      const email = (await auth.passwordResets.tokenOwner(token)) ?? undefined;
      return sendPage(reply, 200, resetView(ctx, { token, email }, minLength));
    },
  );

  app.post<{ Body: Fields }>("/account/reset", formRoute, async (request, reply) => {
    // The token names its account; an email, when a form still sends one, must be its owner's.
    const email = field(request.body, "email") || undefined;
    const token = field(request.body, "reset_token");
    const ctx = pages.contextOf(request, `/account/reset?token=${encodeURIComponent(token)}`);
    try {
      await auth.passwordResets.updatePassword(token, field(request.body, "new_password"), {
        email,
        client: clientOf(request),
      });
    } catch (error) {
      // The form again (a refused password): still named for its account.
      const owner = (await auth.passwordResets.tokenOwner(token)) ?? undefined;
      return sendFailure(reply, ctx, error, (text, code) =>
        code === "invalid_reset_token"
          ? resetLinkProblemView(ctx, "invalid")
          : resetView(
              ctx,
              { token, email: owner, error: text, errorField: fieldInError(code, "new_password") },
              minLength,
            ),
      );
    }
    return reply.redirect("/account/login?done=reset", 303);
  });
}
