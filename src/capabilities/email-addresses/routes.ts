import type { FastifyInstance } from "fastify";
import { UnknownEmailError, UserAlreadyExistsError } from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { signedInOrRefuse } from "../../core/http/credentials.js";
import { sendError } from "../../core/http/errors.js";
import { sendReauthenticationRefused } from "../../core/http/reauthentication.js";
import {
  emailField,
  emailMessageResponse,
  fieldsBody,
  passwordField,
  refusals,
  secondFactorProofField,
  tokenField,
} from "../../core/http/schemas.js";
import type { SecondFactorProof } from "../../core/second-step.js";
import type { EmailAddressService } from "./service.js";

/** Production's one answer to a request for a link, registered email or not. */
const LINK_REQUESTED = "if this email has an unverified account, a verification link is on its way";

/**
 * Verified addresses and email changes: verify with a mailed token, ask for
 * a new link, change one's email (confirmed by the new address).
 */
export async function verificationRoutes(
  app: FastifyInstance,
  { auth, cookie }: { auth: EmailAddressService; cookie: SessionCookie },
): Promise<void> {
  const development = auth.settings.mode === "development";

  app.post<{ Body: { token: string } }>(
    "/users/verify",
    {
      schema: {
        body: fieldsBody({ token: tokenField }),
        response: { 200: emailMessageResponse, ...refusals },
      },
    },
    async (request) => {
      const { email } = await auth.emailAddresses.verify(request.body.token, clientOf(request));
      return { email, message: "email verified" };
    },
  );

  app.post<{ Body: { email: string } }>(
    "/users/verification",
    {
      schema: {
        body: fieldsBody({ email: emailField }),
        response: {
          200: {
            type: "object",
            required: ["email", "message"],
            properties: {
              email: { type: "string" },
              message: { type: "string" },
              verification_token: { type: "string" },
            },
          },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const { email } = request.body;
      try {
        const token = await auth.emailAddresses.requestVerification(email, clientOf(request));
        if (token === null) return { email, message: LINK_REQUESTED };
        reply.header("cache-control", "no-store");
        return { email, message: "verification token issued", verification_token: token };
      } catch (error) {
        if (development && error instanceof UnknownEmailError)
          return sendError(reply, 403, "unknown_email", "email not registered");
        throw error;
      }
    },
  );

  app.put<{ Body: { new_email: string; password: string; code?: SecondFactorProof } }>(
    "/profile/email",
    {
      schema: {
        body: fieldsBody(
          { new_email: emailField, password: passwordField },
          { code: secondFactorProofField },
        ),
        response: {
          202: {
            type: "object",
            required: ["message"],
            properties: { message: { type: "string" }, confirmation_token: { type: "string" } },
          },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedInOrRefuse(auth, cookie, request, reply);
      if (!asking) return reply;
      const { current, credential } = asking;
      const { new_email: newEmail, password, code } = request.body;
      const result = await auth.emailAddresses.requestChange(
        current,
        newEmail,
        password,
        clientOf(request),
        code,
      );
      if (result.outcome !== "done")
        return sendReauthenticationRefused(reply, result.outcome, credential, cookie);
      reply.code(202);
      const message =
        "a confirmation link was mailed to the new address; nothing changes until it is followed";
      return result.value === null ? { message } : { message, confirmation_token: result.value };
    },
  );

  app.post<{ Body: { token: string } }>(
    "/profile/email/confirm",
    {
      schema: {
        body: fieldsBody({ token: tokenField }),
        response: { 200: emailMessageResponse, ...refusals },
      },
    },
    async (request, reply) => {
      try {
        const { email } = await auth.emailAddresses.confirmChange(
          request.body.token,
          clientOf(request),
        );
        return { email, message: "email changed" };
      } catch (error) {
        // Taken since the change was asked for: decided now, by the unique index.
        if (error instanceof UserAlreadyExistsError)
          return sendError(reply, 409, "email_taken", "that address has an account by now");
        throw error;
      }
    },
  );
}
