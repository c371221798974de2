import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Accounts } from "../../core/accounts.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { signedInOrRefuse } from "../../core/http/credentials.js";
import { sendError } from "../../core/http/errors.js";
import { errorResponse, messageResponse, refusals } from "../../core/http/schemas.js";
import type { AccountPage, AccountSection } from "../../core/pages/account-page.js";
import type { PageKit } from "../../core/pages/page-context.js";
import { type Fields, formRoute } from "../../core/pages/page-kit.js";
import type { Applications } from "./applications.js";
import { applicationsSection } from "./applications-view.js";
import { oidcWords } from "./words.js";

/** `:client_id` in a path: a client id as ClientStore makes them (base64url). */
const clientIdParams = {
  type: "object",
  required: ["client_id"],
  additionalProperties: false,
  properties: { client_id: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } },
} as const;

const session: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

const applicationObject = {
  type: "object",
  required: ["client_id", "name", "scopes", "granted_at"],
  properties: {
    client_id: { type: "string" },
    name: { type: "string" },
    scopes: { type: "array", items: { type: "string" } },
    granted_at: { type: "string", format: "date-time" },
  },
} as const;

interface Options {
  auth: Pick<Accounts, "signedIn">;
  cookie: SessionCookie;
  applications: Applications;
}

/** GET /profile/applications and DELETE /profile/applications/{client_id} (signed in). */
export async function applicationRoutes(
  app: FastifyInstance,
  { auth, cookie, applications }: Options,
): Promise<void> {
  const signedIn = (request: FastifyRequest, reply: FastifyReply) =>
    signedInOrRefuse(auth, cookie, request, reply);

  app.get(
    "/profile/applications",
    {
      schema: {
        summary: "The applications the signed-in user allowed through the OpenID provider",
        security: session,
        response: {
          200: {
            type: "object",
            required: ["applications"],
            properties: { applications: { type: "array", items: applicationObject } },
          },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const list = await applications.list(asking.current.user.id);
      return {
        applications: list.map((item) => ({
          client_id: item.clientId,
          name: item.name,
          scopes: item.scopes,
          granted_at: item.grantedAt.toISOString(),
        })),
      };
    },
  );

  app.delete<{ Params: { client_id: string } }>(
    "/profile/applications/:client_id",
    {
      schema: {
        summary:
          "Remove an application's access: the user's grants to it, with every token and code of them",
        security: session,
        params: clientIdParams,
        response: {
          200: messageResponse,
          404: errorResponse,
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const { user } = asking.current;
      if (!(await applications.revoke(user, request.params.client_id, clientOf(request))))
        return sendError(reply, 404, "not_found", "no application with access by that id");
      return { message: "access removed" };
    },
  );
}

/** The account page's form post: "Remove access" (the cross-site guard covers every POST). */
export async function applicationPages(
  app: FastifyInstance,
  options: Options & { accountPage: AccountPage; pages: PageKit },
): Promise<void> {
  const { auth, cookie, applications, accountPage, pages } = options;
  const hidden = { schema: { hide: true } };
  app.get("/account/applications/:client_id/remove", hidden, async (_request, reply) =>
    reply.redirect("/account", 303),
  );
  app.post<{ Params: { client_id: string }; Body: Fields }>(
    "/account/applications/:client_id/remove",
    { schema: { ...formRoute.schema, params: clientIdParams } },
    async (request, reply) => {
      const token = cookie.read(request);
      const current = await auth.signedIn(token);
      if (!current) return reply.redirect("/account/login", 303);
      const t = oidcWords.in(pages.contextOf(request, "/account").lang);
      const removed = await applications.revoke(
        current.user,
        request.params.client_id,
        clientOf(request),
      );
      return accountPage.send(request, reply, token, removed ? 200 : 404, {
        ...(removed ? { notice: t("applications.removed") } : { error: t("applications.gone") }),
      });
    },
  );
}

/** /account's "Applications with access". */
export function applicationsAccountSection(applications: Applications): AccountSection {
  return {
    async render({ user, ctx }) {
      return { part: applicationsSection(ctx, await applications.list(user.id)) };
    },
  };
}
