import type { FastifyInstance } from "fastify";
import type { Accounts } from "../accounts.js";
import { clientOf, type SessionCookie } from "../http/cookies.js";
import { signedInOrRefuse, tokenOf } from "../http/credentials.js";
import { sendReauthenticationRefused } from "../http/reauthentication.js";
import {
  fieldsBody,
  messageResponse,
  passwordField,
  refusals,
  secondFactorProofField,
} from "../http/schemas.js";
import type { SignedIn } from "../reauthentication.js";
import type { SecondFactorProof } from "../second-step.js";

/** Everything kept about the signed-in user: the core's part and each capability's (main composes it). */
export type ExportData = (current: SignedIn) => Promise<Record<string, unknown>>;

/**
 * One's own data: a copy of everything the service keeps about the signed-in
 * user (GET /profile/export, a JSON download), and the account's deletion
 * (DELETE /profile, behind the password and, when the account has one, a
 * current second factor).
 */
export async function ownDataRoutes(
  app: FastifyInstance,
  {
    auth,
    cookie,
    exportData,
  }: {
    auth: Pick<Accounts, "signedIn" | "deleteOwnAccount">;
    cookie: SessionCookie;
    exportData: ExportData;
  },
): Promise<void> {
  app.get(
    "/profile/export",
    {
      schema: {
        response: {
          // Its parts are the capabilities' to say (Capability.exportData).
          200: { type: "object", additionalProperties: true },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedInOrRefuse(auth, cookie, request, reply);
      if (!asking) return reply;
      const data = await exportData(asking.current);
      reply.header("content-disposition", 'attachment; filename="account-data.json"');
      return { exported_at: new Date().toISOString(), ...data };
    },
  );

  app.delete<{ Body: { password: string; code?: SecondFactorProof } }>(
    "/profile",
    {
      schema: {
        body: fieldsBody({ password: passwordField }, { code: secondFactorProofField }),
        response: { 200: messageResponse, ...refusals },
      },
    },
    async (request, reply) => {
      const asking = await signedInOrRefuse(auth, cookie, request, reply);
      if (!asking) return reply;
      const { credential } = asking;
      const { password, code } = request.body;
      const result = await auth.deleteOwnAccount(
        tokenOf(credential),
        { password, code },
        clientOf(request),
      );
      if (result.outcome !== "done")
        return sendReauthenticationRefused(reply, result.outcome, credential, cookie);
      if (credential.via === "cookie") cookie.clear(reply);
      return { message: "account deleted" };
    },
  );
}
