import type { FastifyInstance, FastifyReply } from "fastify";
import type { AuditReader } from "../../core/audit-log.js";
import { UserAlreadyExistsError } from "../../core/errors.js";
import { apiKeyGate } from "../../core/http/api-key-gate.js";
import { sendError } from "../../core/http/errors.js";
import {
  type EmailPasswordBody,
  emailField,
  errorResponse,
  fieldsBody,
  passwordField,
} from "../../core/http/schemas.js";
import type { SecondFactorFacts } from "../../core/second-step.js";
import type { UserSummary } from "../../core/store.js";
import type { ApiKeys } from "./api-keys.js";
import type { UserAdmin } from "./user-admin.js";

/** What the admin API needs: the keys that open it, and what it acts on. */
export interface AdminDependencies {
  apiKeys: ApiKeys;
  users: UserAdmin;
  audit: AuditReader;
}

/**
 * The admin API under /admin: only `Authorization: Bearer <api key>` opens
 * it (a session cookie never does), each route needs one scope, and every
 * change is audited with the key's name as the agent. Register with
 * `{ prefix: "/admin" }`.
 */
export async function adminRoutes(
  app: FastifyInstance,
  { apiKeys, users, audit }: AdminDependencies,
): Promise<void> {
  const gate = apiKeyGate(apiKeys);
  app.addHook("onRequest", gate.hook);
  const { operator } = gate;

  app.get<{ Querystring: { limit?: string; after?: string; email?: string } }>(
    "/users",
    {
      config: { scope: "users:read" },
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            limit: { type: "string", pattern: "^(?:[1-9][0-9]{0,2}|1000)$" },
            after: { type: "string", pattern: "^[0-9]{1,15}$" },
            email: emailField,
          },
        },
        response: {
          200: {
            type: "object",
            required: ["users", "next"],
            properties: {
              users: { type: "array", items: userView },
              next: { type: ["string", "null"] },
            },
          },
          ...AUTH_ANSWERS,
        },
      },
    },
    async (request) => {
      const { limit, after, email } = request.query;
      const page = await users.list({
        limit: Number(limit ?? 100),
        afterId: after === undefined ? undefined : Number(after),
        email,
      });
      return {
        users: page.users.map(toUserView),
        next: page.next === null ? null : String(page.next),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/users/:id",
    {
      config: { scope: "users:read" },
      schema: {
        params: idParams,
        response: { 200: userView, 404: errorResponse, ...AUTH_ANSWERS },
      },
    },
    async (request, reply) => {
      const user = await users.show(Number(request.params.id));
      return user ? toUserView(user) : sendNoUser(reply);
    },
  );

  app.post<{ Body: EmailPasswordBody }>(
    "/users",
    {
      config: { scope: "users:write" },
      schema: {
        body: fieldsBody({ email: emailField, password: passwordField }),
        response: { 201: userView, 409: errorResponse, ...AUTH_ANSWERS },
      },
    },
    async (request, reply) => {
      try {
        const user = await users.create(
          request.body.email,
          request.body.password,
          operator(request),
        );
        return reply.code(201).send(toUserView({ ...user, sessions: 0 }));
      } catch (error) {
        if (error instanceof UserAlreadyExistsError) {
          return sendError(reply, 409, "email_taken", "email already registered");
        }
        throw error;
      }
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/users/:id",
    {
      config: { scope: "users:write" },
      schema: {
        params: idParams,
        response: { 204: { type: "null" }, 404: errorResponse, ...AUTH_ANSWERS },
      },
    },
    async (request, reply) => {
      const deleted = await users.delete(Number(request.params.id), operator(request));
      return deleted ? reply.code(204).send() : sendNoUser(reply);
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/users/:id/sessions",
    {
      config: { scope: "users:write" },
      schema: {
        params: idParams,
        response: {
          200: { type: "object", required: ["ended"], properties: { ended: { type: "integer" } } },
          404: errorResponse,
          ...AUTH_ANSWERS,
        },
      },
    },
    async (request, reply) => {
      const ended = await users.endSessions(Number(request.params.id), operator(request));
      return ended === null ? sendNoUser(reply) : { ended };
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/users/:id/second-factors",
    {
      config: { scope: "users:write" },
      schema: {
        summary:
          "Take every second factor off a user who lost their devices (TOTP, recovery codes, passkeys): audited, announced, the user told by mail; removed: whether one was on",
        params: idParams,
        response: {
          200: {
            type: "object",
            required: ["removed"],
            properties: { removed: { type: "boolean" } },
          },
          404: errorResponse,
          ...AUTH_ANSWERS,
        },
      },
    },
    async (request, reply) => {
      const removed = await users.resetSecondFactors(Number(request.params.id), operator(request));
      return removed === null ? sendNoUser(reply) : { removed };
    },
  );

  app.get<{ Querystring: { email?: string; since?: string; limit?: string } }>(
    "/audit",
    {
      config: { scope: "audit:read" },
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            email: emailField,
            since: { type: "string", format: "date-time" },
            limit: { type: "string", pattern: "^(?:[1-9][0-9]{0,3}|10000)$" },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["events"],
            properties: { events: { type: "array", items: auditEventView } },
          },
          ...AUTH_ANSWERS,
        },
      },
    },
    async (request, reply) => {
      const { email, since, limit } = request.query;
      const from = since === undefined ? undefined : new Date(since);
      // The date-time format lets a leap second (23:59:60) through; Date does not.
      if (from && Number.isNaN(from.getTime())) {
        return sendError(reply, 400, "invalid_request", "since is not a valid time");
      }
      const events = await audit.list({ email, since: from, limit: Number(limit ?? 1000) });
      return { events };
    },
  );
}

function sendNoUser(reply: FastifyReply): FastifyReply {
  return sendError(reply, 404, "not_found", "no user with this id");
}

/** The answers every admin route can give before its own work. */
const AUTH_ANSWERS = { 400: errorResponse, 401: errorResponse, 403: errorResponse } as const;

const idParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: { type: "string", pattern: "^[0-9]{1,15}$" } },
} as const;

/** A user as the admin API shows one: never the hash. */
const userView = {
  type: "object",
  required: ["id", "email", "createdAt", "updatedAt", "emailVerifiedAt", "sessions"],
  properties: {
    id: { type: "integer" },
    email: { type: "string" },
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    emailVerifiedAt: {
      type: ["string", "null"],
      format: "date-time",
      description: "when the address was verified; null: never",
    },
    sessions: { type: "integer", description: "live sessions" },
    secondFactor: {
      type: "object",
      description:
        "the second factors (one user looked up, not a page of them): on, whether a login needs one; each kind's facts, never a secret",
      required: ["on"],
      properties: {
        on: { type: "boolean" },
        totp: { type: "boolean" },
        recoveryCodesLeft: { type: "integer" },
        passkeys: { type: "integer" },
      },
      additionalProperties: { type: ["boolean", "number"] },
    },
  },
} as const;

function toUserView(user: UserSummary & { secondFactor?: SecondFactorFacts }) {
  return {
    id: user.id,
    email: user.email,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null,
    sessions: user.sessions,
    ...(user.secondFactor ? { secondFactor: user.secondFactor } : {}),
  };
}

const auditEventView = {
  type: "object",
  required: ["at", "event", "outcome", "userId", "email", "ip", "userAgent", "repeats"],
  properties: {
    at: { type: "string", format: "date-time" },
    event: { type: "string" },
    outcome: { type: "string" },
    userId: { type: ["integer", "null"] },
    email: { type: ["string", "null"] },
    ip: { type: ["string", "null"] },
    userAgent: { type: ["string", "null"], description: "for operators' acts: api-key <name>" },
    repeats: { type: "integer" },
  },
} as const;
