import type { FastifyInstance } from "fastify";
import type { Auth } from "../../auth/auth.js";
import { clientOf, type SessionCookie } from "../cookies.js";
import { sendError, sendNoSession } from "../errors.js";
import {
  type EmailPasswordBody,
  emailField,
  emailMessageResponse,
  errorResponse,
  fieldsBody,
  messageResponse,
  passwordField,
} from "../schemas.js";

export async function sessionsRoutes(
  app: FastifyInstance,
  { auth, cookie }: { auth: Auth; cookie: SessionCookie },
): Promise<void> {
  app.post<{ Body: EmailPasswordBody }>(
    "/sessions",
    {
      schema: {
        body: fieldsBody({ email: emailField, password: passwordField }),
        response: {
          200: emailMessageResponse,
          400: errorResponse,
          401: errorResponse,
          429: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const result = await auth.login(email, password, clientOf(request));
      // One answer for an unknown email and a wrong password, in body and in time.
      if (!result) return sendError(reply, 401, "invalid_credentials", "wrong email or password");
      cookie.set(reply, result.sessionToken);
      // Never kept by a shared cache: the answer carries a session cookie.
      reply.header("cache-control", "no-store");
      return { email, message: "logged in" };
    },
  );

  app.delete(
    "/sessions",
    { schema: { response: { 303: messageResponse, 403: errorResponse } } },
    async (request, reply) => {
      const token = cookie.read(request);
      const revoked = await auth.revokeSession(token, clientOf(request));
      if (token !== undefined) cookie.clear(reply);
      if (!revoked) return sendNoSession(reply);
      // 303, not the original's 302: every client, fetch included, follows it with a GET.
      return reply.code(303).header("location", "/").send({ message: "logged out" });
    },
  );

  app.get(
    "/sessions",
    { schema: { response: { 200: sessionListResponse, 403: errorResponse } } },
    async (request, reply) => {
      const sessions = await auth.listSessions(cookie.read(request));
      if (!sessions) return sendNoSession(reply);
      reply.header("cache-control", "no-store");
      return { sessions };
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/sessions/:id",
    {
      schema: {
        params: {
          type: "object",
          required: ["id"],
          properties: { id: { type: "string", minLength: 1, maxLength: 64 } },
        },
        response: { 200: messageResponse, 403: errorResponse, 404: errorResponse },
      },
    },
    async (request, reply) => {
      const outcome = await auth.revokeSessionById(
        cookie.read(request),
        request.params.id,
        clientOf(request),
      );
      if (outcome === "unauthenticated") return sendNoSession(reply);
      // Someone else's session and no session at all look the same.
      if (outcome === "not_found")
        return sendError(reply, 404, "session_not_found", "no such session");
      return { message: "session ended" };
    },
  );
}

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
