import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Accounts, LoginResult } from "../accounts.js";
import { SecondFactorRequiredError } from "../errors.js";
import { clientOf, type SessionCookie } from "../http/cookies.js";
import {
  BASIC_CHALLENGE,
  basicCredentialsOf,
  sendNotSignedIn,
  sessionCredentialOf,
  tokenOf,
} from "../http/credentials.js";
import { sendError } from "../http/errors.js";
import {
  type EmailPasswordBody,
  emailField,
  errorResponse,
  fieldsBody,
  loginResponse,
  messageResponse,
  passwordField,
  sessionIdParams,
} from "../http/schemas.js";

export async function sessionsRoutes(
  app: FastifyInstance,
  { auth, cookie }: { auth: Accounts; cookie: SessionCookie },
): Promise<void> {
  // Logins with Authorization: Basic, known before validation turned their
  // credentials into the body the schema checks.
  const basicLogins = new WeakSet<object>();

  app.post<{ Body: EmailPasswordBody }>(
    "/sessions",
    {
      schema: {
        body: fieldsBody({ email: emailField, password: passwordField }),
        response: {
          200: loginResponse,
          400: errorResponse,
          401: mfaRequiredOrErrorResponse,
          429: errorResponse,
          503: errorResponse,
        },
      },
      // Basic credentials (RFC 7617) become the body, so they meet exactly the
      // form's validation, throttling and audit; a body beside them is refused.
      preValidation: async (request, reply) => {
        const basic = basicCredentialsOf(request);
        if (basic.kind === "absent") return;
        if (basic.kind === "malformed") {
          return sendError(reply, 400, "invalid_request", basic.reason);
        }
        if (request.body !== undefined && request.body !== null) {
          return sendError(
            reply,
            400,
            "invalid_request",
            "credentials in both the Authorization header and the body",
          );
        }
        request.body = { email: basic.email, password: basic.password };
        basicLogins.add(request);
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const viaBasic = basicLogins.has(request);
      // Kept with an mfa_token, so that the second step answers as this login would.
      const way = viaBasic ? "basic" : isJsonBody(request) ? "json" : "form";
      let result: LoginResult | null;
      try {
        result = await auth.login(email, password, { ...clientOf(request), way });
      } catch (error) {
        if (!(error instanceof SecondFactorRequiredError)) throw error;
        // The right password, and no session yet: POST /sessions/mfa finishes it.
        reply.header("cache-control", "no-store");
        return reply.code(401).send({
          message: error.message,
          error: "mfa_required",
          mfa_token: error.mfaToken,
        });
      }
      if (!result) {
        if (viaBasic) reply.header("www-authenticate", BASIC_CHALLENGE);
        // One answer for an unknown email and a wrong password, in body and in time.
        return sendError(reply, 401, "invalid_credentials", "wrong email or password");
      }
      cookie.set(reply, result.sessionToken);
      // Never kept by a shared cache: the answer carries a session cookie.
      reply.header("cache-control", "no-store");
      // The form's answer stays the original's; a Basic client has no cookie jar.
      if (viaBasic) return { email, message: "logged in", session_token: result.sessionToken };
      return { email, message: "logged in" };
    },
  );

  app.delete(
    "/sessions",
    {
      schema: {
        response: {
          204: { type: "null", description: "bearer logout: the session ended" },
          303: messageResponse,
          400: errorResponse,
          401: errorResponse,
          403: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const credential = sessionCredentialOf(request, cookie);
      const revoked = await auth.revokeSession(tokenOf(credential), clientOf(request));
      if (credential.via === "cookie") cookie.clear(reply);
      if (!revoked) return sendNotSignedIn(reply, credential);
      // An API client asked: nothing to follow, nothing to show.
      if (credential.via === "bearer") return reply.code(204).send();
      // 303, not the original's 302: every client, fetch included, follows it with a GET.
      return reply.code(303).header("location", "/").send({ message: "logged out" });
    },
  );

  app.get(
    "/sessions",
    {
      schema: {
        response: {
          200: sessionListResponse,
          400: errorResponse,
          401: errorResponse,
          403: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const credential = sessionCredentialOf(request, cookie);
      const sessions = await auth.listSessions(tokenOf(credential));
      if (!sessions) return sendNotSignedIn(reply, credential);
      reply.header("cache-control", "no-store");
      return { sessions };
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/sessions/:id",
    {
      schema: {
        params: sessionIdParams,
        response: {
          200: messageResponse,
          400: errorResponse,
          401: errorResponse,
          403: errorResponse,
          404: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const credential = sessionCredentialOf(request, cookie);
      const outcome = await auth.revokeSessionById(
        tokenOf(credential),
        request.params.id,
        clientOf(request),
      );
      if (outcome === "unauthenticated") return sendNotSignedIn(reply, credential);
      // Someone else's session and no session at all look the same.
      if (outcome === "not_found")
        return sendError(reply, 404, "session_not_found", "no such session");
      return { message: "session ended" };
    },
  );
}

/** A refused login, or the right password on an account with a second factor (`mfa_token` then). */
const mfaRequiredOrErrorResponse = {
  ...errorResponse,
  properties: { ...errorResponse.properties, mfa_token: { type: "string" } },
} as const;

const sessionListResponse = {
  type: "object",
  required: ["sessions"],
  properties: {
    sessions: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "createdAt", "lastSeenAt", "expiresAt", "ip", "userAgent", "current"],
        properties: {
          id: { type: "string" },
          createdAt: { type: "string", format: "date-time" },
          lastSeenAt: { type: "string", format: "date-time" },
          expiresAt: { type: "string", format: "date-time" },
          ip: { type: ["string", "null"] },
          userAgent: { type: ["string", "null"] },
          current: { type: "boolean" },
        },
      },
    },
  },
} as const;

/** A JSON body (a program's), as opposed to a form post (the original clients', browsers'). */
function isJsonBody(request: FastifyRequest): boolean {
  return /^application\/json\b/i.test(request.headers["content-type"] ?? "");
}
