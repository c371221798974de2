import type { FastifyInstance } from "fastify";
import { type ApiKeyChecker, apiKeyGate } from "../../core/http/api-key-gate.js";
import { sendError } from "../../core/http/errors.js";
import { errorResponse, messageResponse, PLAIN_TEXT_PATTERN } from "../../core/http/schemas.js";
import { PRESET_NAMES, presetOf, TENANT } from "./presets.js";
import type { NewProvider } from "./providers.js";
import type { SocialLogin } from "./social-login.js";

/** Every route here needs this API key scope (the core's gate checks it). */
const scope = { scope: "providers:write" } as const;

const providerView = {
  type: "object",
  required: ["id", "name", "kind", "issuer", "clientId", "scopes", "createdAt"],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    kind: { type: "string" },
    issuer: { type: "string" },
    clientId: { type: "string" },
    scopes: { type: "array", items: { type: "string" } },
    createdAt: { type: "string", format: "date-time" },
  },
} as const;
const text = (max: number) =>
  ({ type: "string", minLength: 1, maxLength: max, pattern: PLAIN_TEXT_PATTERN }) as const;
const answers = { 400: errorResponse, 401: errorResponse, 403: errorResponse } as const;

/**
 * /admin/providers: the operator's `provider` commands over HTTP, opened by
 * an API key with the `providers:write` scope (as admin-api checks its own).
 * Never the client secret in an answer.
 */
export async function providerAdminRoutes(
  app: FastifyInstance,
  options: { apiKeys: ApiKeyChecker; social: SocialLogin; publicUrl?: string | undefined },
): Promise<void> {
  const { apiKeys, social } = options;
  const gate = apiKeyGate(apiKeys);
  app.addHook("onRequest", gate.hook);
  const { operator } = gate;

  app.get(
    "/providers",
    {
      config: scope,
      schema: {
        summary: "The registered identity providers (never a secret)",
        response: {
          200: {
            type: "object",
            required: ["providers"],
            properties: { providers: { type: "array", items: providerView } },
          },
          ...answers,
        },
      },
    },
    async () => ({ providers: await social.providers.list() }),
  );

  app.post<{
    Body: {
      id: string;
      preset?: string;
      tenant?: string;
      issuer?: string;
      name?: string;
      clientId: string;
      clientSecret: string;
      scopes?: string[];
    };
  }>(
    "/providers",
    {
      config: scope,
      schema: {
        summary:
          "Register an identity provider: an OpenID issuer (checked by discovery) or a preset; answers the redirect_uri to register there",
        body: {
          type: "object",
          required: ["id", "clientId", "clientSecret"],
          additionalProperties: false,
          properties: {
            id: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,31}$" },
            preset: { type: "string", enum: [...PRESET_NAMES] },
            tenant: { type: "string", pattern: TENANT.source },
            issuer: text(512),
            name: text(64),
            clientId: text(512),
            clientSecret: text(1024),
            scopes: { type: "array", maxItems: 20, items: text(100) },
          },
        },
        response: {
          201: {
            type: "object",
            required: ["provider", "redirectUri"],
            properties: { provider: providerView, redirectUri: { type: "string" } },
          },
          409: errorResponse,
          ...answers,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const preset = body.preset ? presetOf(body.preset, body.tenant) : undefined;
      if (!preset === !body.issuer)
        return sendError(reply, 400, "invalid_request", "give an issuer or a preset, not both");
      const provider: NewProvider = {
        id: body.id,
        name: body.name ?? preset?.name ?? body.id,
        kind: preset?.kind ?? "oidc",
        issuer: preset?.issuer ?? body.issuer ?? "",
        endpoints: preset?.endpoints,
        clientId: body.clientId,
        clientSecret: body.clientSecret,
        scopes: [...(preset?.scopes ?? []), ...(body.scopes ?? [])],
      };
      try {
        await social.providers.assertAllowed(provider.issuer);
        if (!preset) await social.checkDiscovery(provider);
      } catch (error) {
        const message =
          error instanceof RangeError
            ? error.message
            : `${provider.issuer}: no usable discovery document`;
        return sendError(reply, 400, "invalid_request", message);
      }
      // Past discovery, only the provider's own checks are the request's
      // fault: anything else (the database) is answered as what it is.
      try {
        if (!(await social.addProvider(provider, operator(request))))
          return sendError(reply, 409, "invalid_request", `a provider "${body.id}" exists already`);
      } catch (error) {
        if (error instanceof RangeError)
          return sendError(reply, 400, "invalid_request", error.message);
        throw error;
      }
      const shown = (await social.providers.list()).find((each) => each.id === body.id);
      const base = options.publicUrl ?? `${request.protocol}://${request.host}`;
      return reply
        .code(201)
        .send({ provider: shown, redirectUri: `${base}/login/${body.id}/callback` });
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/providers/:id",
    {
      config: scope,
      schema: {
        summary:
          "Remove an identity provider and its linked identities (an id added again names a new provider)",
        params: {
          type: "object",
          required: ["id"],
          properties: { id: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,31}$" } },
        },
        response: {
          200: messageResponse,
          404: errorResponse,
          ...answers,
        },
      },
    },
    async (request, reply) => {
      if (!(await social.removeProvider(request.params.id, operator(request))))
        return sendError(reply, 404, "not_found", "no such provider");
      return { message: "provider removed" };
    },
  );
}
