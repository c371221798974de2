import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { LoginResult } from "../../core/accounts.js";
import { InvalidCodeError } from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { signedInOrRefuse } from "../../core/http/credentials.js";
import { sendError } from "../../core/http/errors.js";
import { loggedIn } from "../../core/http/logged-in.js";
import { sendReauthenticationRefused } from "../../core/http/reauthentication.js";
import {
  fieldsBody,
  loginResponse,
  messageResponse,
  passwordField,
  refusals,
  secondFactorCodeField,
  secondFactorProofField,
  tokenField,
} from "../../core/http/schemas.js";
import type { SecondFactorProof } from "../../core/second-step.js";
import type { SecondFactorService } from "./service.js";

const codeField = secondFactorCodeField;

const recoveryCodesResponse = {
  type: "object",
  required: ["recovery_codes"],
  properties: { recovery_codes: { type: "array", items: { type: "string" } } },
} as const;

/**
 * Two-factor authentication over HTTP: a signed-in user sets up TOTP,
 * confirms it, reads its state, turns it off and renews recovery codes; a
 * login that answered `mfa_required` is finished at POST /sessions/mfa.
 */
export async function mfaRoutes(
  app: FastifyInstance,
  { auth, cookie }: { auth: SecondFactorService; cookie: SessionCookie },
): Promise<void> {
  const signedIn = (request: FastifyRequest, reply: FastifyReply) =>
    signedInOrRefuse(auth, cookie, request, reply);

  app.get(
    "/mfa",
    {
      schema: {
        response: {
          200: {
            type: "object",
            required: ["totp", "recovery_codes_left"],
            properties: {
              totp: { type: "boolean" },
              recovery_codes_left: { type: "integer" },
              passkeys: { type: "integer" },
            },
          },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const { id } = asking.current.user;
      const status = await auth.secondFactors.status(id);
      const answer = { totp: status.totp, recovery_codes_left: status.recoveryCodesLeft };
      // The other kinds of factor the service has (passkeys: how many), by name.
      return { ...answer, ...(await auth.otherFactorCounts?.(id)) };
    },
  );

  app.post(
    "/mfa/totp/setup",
    {
      schema: {
        response: {
          200: {
            type: "object",
            required: ["secret", "otpauth_uri"],
            properties: { secret: { type: "string" }, otpauth_uri: { type: "string" } },
          },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const { secret, otpauthUri } = await auth.secondFactors.beginTotpSetup(asking.current);
      return { secret, otpauth_uri: otpauthUri };
    },
  );

  app.post<{ Body: { code: string; password: string } }>(
    "/mfa/totp/confirm",
    {
      schema: {
        body: fieldsBody({ code: codeField, password: passwordField }),
        response: { 200: recoveryCodesResponse, ...refusals },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const { code, password } = request.body;
      const result = await auth.secondFactors.confirmTotp(
        asking.current,
        code,
        password,
        clientOf(request),
      );
      if (result.outcome !== "done")
        return sendReauthenticationRefused(reply, result.outcome, asking.credential, cookie);
      return { recovery_codes: result.value };
    },
  );

  app.delete<{ Body: { password: string; code?: SecondFactorProof } }>(
    "/mfa/totp",
    {
      schema: {
        body: fieldsBody({ password: passwordField }, { code: secondFactorProofField }),
        response: { 200: messageResponse, ...refusals },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const result = await auth.secondFactors.disable(
        asking.current,
        request.body.password,
        clientOf(request),
        request.body.code,
      );
      if (result.outcome !== "done")
        return sendReauthenticationRefused(reply, result.outcome, asking.credential, cookie);
      return { message: "two-factor authentication turned off" };
    },
  );

  app.post<{ Body: { password: string; code?: SecondFactorProof } }>(
    "/mfa/recovery-codes",
    {
      schema: {
        body: fieldsBody({ password: passwordField }, { code: secondFactorProofField }),
        response: { 200: recoveryCodesResponse, ...refusals },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const result = await auth.secondFactors.renewRecoveryCodes(
        asking.current,
        request.body.password,
        clientOf(request),
        request.body.code,
      );
      if (result.outcome !== "done")
        return sendReauthenticationRefused(reply, result.outcome, asking.credential, cookie);
      return { recovery_codes: result.value };
    },
  );

  app.post<{ Body: { mfa_token: string; code: SecondFactorProof } }>(
    "/sessions/mfa",
    {
      schema: {
        body: fieldsBody({ mfa_token: tokenField, code: secondFactorProofField }),
        response: { 200: loginResponse, ...refusals },
      },
    },
    async (request, reply) => {
      const { mfa_token: mfaToken, code } = request.body;
      let result: LoginResult;
      try {
        result = await auth.completeLogin(mfaToken, code, clientOf(request));
      } catch (error) {
        // A wrong code at login is a failed authentication (401), not a bad form (400).
        if (error instanceof InvalidCodeError)
          return sendError(reply, 401, "invalid_code", error.message);
        throw error;
      }
      return loggedIn(reply, cookie, result);
    },
  );
}
