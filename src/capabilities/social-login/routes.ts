import type { FastifyInstance } from "fastify";
import type { Accounts } from "../../core/accounts.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { signedInOrRefuse } from "../../core/http/credentials.js";
import { sendReauthenticationRefused } from "../../core/http/reauthentication.js";
import {
  errorResponse,
  messageResponse,
  passwordField,
  refusals,
  secondFactorProofField,
} from "../../core/http/schemas.js";
import type { SecondFactorProof } from "../../core/second-step.js";
import type { SocialLogin } from "./social-login.js";

const session: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

/** `:id` of a linked identity (its public id: base64url). */
export const identityIdParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" } },
} as const;

const identityObject = {
  type: "object",
  required: ["id", "provider", "email", "linkedAt"],
  properties: {
    id: { type: "string" },
    provider: { type: "string" },
    email: { type: ["string", "null"] },
    linkedAt: { type: "string", format: "date-time" },
  },
} as const;

/**
 * The signed-in user's linked identities over HTTP (CONTRACT.md Part 3 G):
 * list them, unlink one (its password; an account without one, its second
 * factor's code when it has one), never the last way in.
 */
export async function identityRoutes(
  app: FastifyInstance,
  { auth, cookie, social }: { auth: Accounts; cookie: SessionCookie; social: SocialLogin },
): Promise<void> {
  app.get(
    "/identities",
    {
      schema: {
        summary: "The signed-in user's sign-ins at other providers",
        security: session,
        response: {
          200: {
            type: "object",
            required: ["identities"],
            properties: { identities: { type: "array", items: identityObject } },
          },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedInOrRefuse(auth, cookie, request, reply);
      if (!asking) return reply;
      return { identities: await social.identities(asking.current.user.id) };
    },
  );

  app.delete<{
    Params: { id: string };
    Body: { password?: string; code?: SecondFactorProof } | null | undefined;
  }>(
    "/identities/:id",
    {
      schema: {
        summary:
          "Unlink a sign-in at another provider: the password (an account without one: a current code when it has a second factor); refused (409 last_way_in) when it is the account's last way in",
        security: session,
        params: identityIdParams,
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { password: passwordField, code: secondFactorProofField },
        },
        response: {
          200: messageResponse,
          404: errorResponse,
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedInOrRefuse(auth, cookie, request, reply);
      if (!asking) return reply;
      const { password, code } = request.body ?? {};
      const outcome = await social.unlink(
        asking.current,
        request.params.id,
        { password, code },
        clientOf(request),
      );
      if (outcome !== "unlinked")
        return sendReauthenticationRefused(reply, outcome, asking.credential, cookie);
      return { message: "identity unlinked" };
    },
  );
}
