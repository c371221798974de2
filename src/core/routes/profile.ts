import type { FastifyInstance } from "fastify";
import type { Accounts } from "../accounts.js";
import { clientOf, type SessionCookie } from "../http/cookies.js";
import { sendNotSignedIn, sessionCredentialOf, tokenOf } from "../http/credentials.js";
import { sendReauthenticationRefused } from "../http/reauthentication.js";
import { errorResponse, fieldsBody, messageResponse, passwordField } from "../http/schemas.js";

/** `{"email"}` exactly, as the original; with EMAIL_VERIFICATION on, `email_verified` beside it. */
const profileResponse = {
  type: "object",
  required: ["email"],
  properties: { email: { type: "string" }, email_verified: { type: "boolean" } },
} as const;

export async function profileRoutes(
  app: FastifyInstance,
  { auth, cookie }: { auth: Accounts; cookie: SessionCookie },
): Promise<void> {
  app.get(
    "/profile",
    {
      schema: {
        response: {
          200: profileResponse,
          400: errorResponse,
          401: errorResponse,
          403: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const credential = sessionCredentialOf(request, cookie);
      const user = await auth.getUserFromSessionId(tokenOf(credential));
      if (!user) return sendNotSignedIn(reply, credential);
      reply.header("cache-control", "no-store");
      if (auth.settings.emailVerification === "off") return { email: user.email };
      return { email: user.email, email_verified: user.emailVerifiedAt !== null };
    },
  );

  app.put<{ Body: { current_password: string; new_password: string } }>(
    "/profile/password",
    {
      schema: {
        body: fieldsBody({ current_password: passwordField, new_password: passwordField }),
        response: {
          200: messageResponse,
          400: errorResponse,
          401: errorResponse,
          403: errorResponse,
          429: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const { current_password: currentPassword, new_password: newPassword } = request.body;
      const credential = sessionCredentialOf(request, cookie);
      const outcome = await auth.changePassword(
        tokenOf(credential),
        currentPassword,
        newPassword,
        clientOf(request),
      );
      if (outcome === "changed") return { message: "Password updated" };
      return sendReauthenticationRefused(reply, outcome, credential, cookie);
    },
  );
}
