import type { FastifyInstance } from "fastify";
import { UnknownEmailError } from "../../core/errors.js";
import { clientOf } from "../../core/http/cookies.js";
import { sendError } from "../../core/http/errors.js";
import {
  emailField,
  emailMessageResponse,
  errorResponse,
  fieldsBody,
  passwordField,
  tokenField,
} from "../../core/http/schemas.js";
import type { PasswordResetService } from "./service.js";

const tokenResponse = {
  type: "object",
  required: ["email"],
  properties: {
    email: { type: "string" },
    reset_token: { type: "string" },
    message: { type: "string" },
  },
} as const;

/** Production's one answer to a reset request, registered email or not. */
const RESET_REQUESTED = "if this email is registered, a reset link is on its way";

export async function resetPasswordRoutes(
  app: FastifyInstance,
  { auth }: { auth: PasswordResetService },
): Promise<void> {
  const development = auth.settings.mode === "development";

  app.post<{ Body: { email: string } }>(
    "/reset_password",
    {
      schema: {
        body: fieldsBody({ email: emailField }),
        response: {
          200: tokenResponse,
          400: errorResponse,
          403: errorResponse,
          429: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const { email } = request.body;
      if (!development) {
        // The same work, status, body and time for any email: the mail is
        // queued, and whether anyone gets it is decided off the request path.
        await auth.passwordResets.requestPasswordReset(email, clientOf(request));
        return { email, message: RESET_REQUESTED };
      }
      // Development mode hands the token back, as the original did.
      try {
        const token = await auth.passwordResets.getResetPasswordToken(email, clientOf(request));
        reply.header("cache-control", "no-store");
        return { email, reset_token: token };
      } catch (error) {
        if (error instanceof UnknownEmailError)
          return sendError(reply, 403, "unknown_email", "email not registered");
        throw error;
      }
    },
  );

  app.put<{ Body: { email: string; reset_token: string; new_password: string } }>(
    "/reset_password",
    {
      schema: {
        body: fieldsBody({
          email: emailField,
          reset_token: tokenField,
          new_password: passwordField,
        }),
        response: { 200: emailMessageResponse, 400: errorResponse, 403: errorResponse },
      },
    },
    async (request) => {
      const { email, reset_token: resetToken, new_password: newPassword } = request.body;
      await auth.passwordResets.updatePassword(resetToken, newPassword, {
        email,
        client: clientOf(request),
      });
      return { email, message: "Password updated" };
    },
  );
}
