import type { FastifyInstance, FastifyReply } from "fastify";
import { type ApiKeyChecker, apiKeyGate } from "../../core/http/api-key-gate.js";
import { sendError } from "../../core/http/errors.js";
import { errorResponse, PLAIN_TEXT_PATTERN } from "../../core/http/schemas.js";
import type { UnitOfWork } from "../../core/unit-of-work.js";
import { type ClientInfo, ClientInputError, type ClientStore } from "./clients.js";
import { SIGNING_ALGS, type SigningAlg } from "./keys.js";

/** What /admin/clients needs: the keys that open it, the clients, and the unit of work that audits. */
export interface ClientAdminDependencies {
  apiKeys: ApiKeyChecker;
  clients: ClientStore;
  changes: Pick<UnitOfWork, "run">;
}

interface NewClientBody {
  name: string;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  public?: boolean;
  first_party?: boolean;
  grants?: ("client_credentials" | "device_code")[];
  id_token_signed_response_alg?: SigningAlg;
}

const ID_TOKEN_ALG_DESCRIPTION =
  "how the client's ID tokens are signed; RS256 unless it says ES256";

const uriList = {
  type: "array",
  maxItems: 20,
  items: { type: "string", minLength: 1, maxLength: 2000, pattern: PLAIN_TEXT_PATTERN },
} as const;

const clientView = {
  type: "object",
  required: [
    "client_id",
    "name",
    "public",
    "first_party",
    "redirect_uris",
    "grant_types",
    "id_token_signed_response_alg",
    "created_at",
  ],
  properties: {
    client_id: { type: "string" },
    name: { type: "string" },
    public: { type: "boolean", description: "no secret; PKCE required" },
    first_party: { type: "boolean", description: "no consent page" },
    redirect_uris: { type: "array", items: { type: "string" } },
    grant_types: { type: "array", items: { type: "string" } },
    id_token_signed_response_alg: { type: "string", description: ID_TOKEN_ALG_DESCRIPTION },
    created_at: { type: "string", format: "date-time" },
  },
} as const;

/** The answers every admin route can give before its own work. */
const AUTH_ANSWERS = { 400: errorResponse, 401: errorResponse, 403: errorResponse } as const;

function toView(client: ClientInfo) {
  return {
    client_id: client.clientId,
    name: client.name,
    public: client.isPublic,
    first_party: client.firstParty,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    id_token_signed_response_alg: client.idTokenAlg,
    created_at: client.createdAt.toISOString(),
  };
}

/**
 * The OpenID provider's relying parties over the admin API (scope
 * clients:write), as `auth-service client create|list|delete`: the same
 * rules (ClientStore), a confidential client's secret in the creation's
 * answer only, each change audited with the key's name as the agent.
 * Register with `{ prefix: "/admin" }`.
 */
export async function clientAdminRoutes(
  app: FastifyInstance,
  { apiKeys, clients, changes }: ClientAdminDependencies,
): Promise<void> {
  const gate = apiKeyGate(apiKeys);
  app.addHook("onRequest", gate.hook);
  const config = { scope: "clients:write" };

  app.get(
    "/clients",
    {
      config,
      schema: {
        summary: "Admin (clients:write): the OpenID provider's clients, oldest first",
        response: {
          200: {
            type: "object",
            required: ["clients"],
            properties: { clients: { type: "array", items: clientView } },
          },
          ...AUTH_ANSWERS,
        },
      },
    },
    async () => ({ clients: (await clients.list()).map(toView) }),
  );

  app.post<{ Body: NewClientBody }>(
    "/clients",
    {
      config,
      schema: {
        summary:
          "Admin (clients:write): register a client; a confidential one's client_secret is in this answer only",
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: {
            name: {
              type: "string",
              minLength: 1,
              maxLength: 200,
              pattern: PLAIN_TEXT_PATTERN,
            },
            redirect_uris: uriList,
            post_logout_redirect_uris: uriList,
            public: { type: "boolean" },
            first_party: { type: "boolean" },
            grants: {
              type: "array",
              maxItems: 2,
              items: { type: "string", enum: ["client_credentials", "device_code"] },
            },
            id_token_signed_response_alg: {
              type: "string",
              enum: [...SIGNING_ALGS],
              description: ID_TOKEN_ALG_DESCRIPTION,
            },
          },
        },
        response: {
          201: {
            ...clientView,
            required: [...clientView.required],
            properties: {
              ...clientView.properties,
              client_secret: {
                type: "string",
                description: "shown once; only its SHA-256 is kept",
              },
            },
          },
          ...AUTH_ANSWERS,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      let made: { clientId: string; clientSecret?: string };
      try {
        made = await changes.run(async (change) => {
          const created = await clients.create(
            {
              name: body.name,
              redirectUris: body.redirect_uris ?? [],
              postLogoutRedirectUris: body.post_logout_redirect_uris ?? [],
              isPublic: body.public === true,
              firstParty: body.first_party === true,
              grants: body.grants ?? [],
              ...(body.id_token_signed_response_alg
                ? { idTokenAlg: body.id_token_signed_response_alg }
                : {}),
            },
            change.tx,
          );
          await change.report({
            type: "oauth_client",
            action: "created",
            clientId: created.clientId,
            client: gate.operator(request),
          });
          return created;
        });
      } catch (error) {
        if (error instanceof ClientInputError)
          return sendError(reply, 400, "invalid_request", error.message);
        throw error;
      }
      const info = (await clients.list()).find((client) => client.clientId === made.clientId);
      if (!info) throw new Error("the client just made is not there");
      return reply.code(201).send({
        ...toView(info),
        ...(made.clientSecret ? { client_secret: made.clientSecret } : {}),
      });
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/clients/:id",
    {
      config,
      schema: {
        summary: "Admin (clients:write): delete a client; its grants and tokens go with it",
        params: {
          type: "object",
          required: ["id"],
          additionalProperties: false,
          properties: { id: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } },
        },
        response: { 204: { type: "null" }, 404: errorResponse, ...AUTH_ANSWERS },
      },
    },
    async (request, reply) => {
      const deleted = await changes.run(async (change) => {
        if (!(await clients.delete(request.params.id, change.tx))) return false;
        await change.report({
          type: "oauth_client",
          action: "deleted",
          clientId: request.params.id,
          client: gate.operator(request),
        });
        return true;
      });
      return deleted ? reply.code(204).send() : sendNoClient(reply);
    },
  );
}

function sendNoClient(reply: FastifyReply): FastifyReply {
  return sendError(reply, 404, "not_found", "no client with this id");
}
