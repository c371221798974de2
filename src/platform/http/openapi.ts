import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance, RouteOptions } from "fastify";
import { errorResponse } from "./base-schemas.js";

/** package.json sits two folders up from both src/http and dist/http. */
const { version } = JSON.parse(
  readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
) as {
  version: string;
};

/**
 * The OpenAPI document, generated from the routes' own schemas as they are
 * added (so register this before the routes), served at GET /openapi.json,
 * with Swagger UI at /docs when `ui` (its assets come from the package, no
 * CDN). The document describes only what the API already shows any caller,
 * so it is served in every mode; the UI is a developer's tool.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  options: {
    cookieName: string;
    ui: boolean;
    /** Where routes this document does not describe are described (the OpenID provider's discovery). */
    externalDocs?: { description: string; url: string };
  },
): Promise<void> {
  documentCommonAnswers(app);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "auth-service",
        version,
        description:
          "Register, log in with a cookie session, read the profile, log out, reset a password. Bodies are form-urlencoded or JSON; every error is JSON {message, error}.",
      },
      ...(options.externalDocs ? { externalDocs: options.externalDocs } : {}),
      components: {
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: options.cookieName },
          bearer: {
            type: "http",
            scheme: "bearer",
            description:
              "A session token (a Basic login's session_token, or the cookie's value); wins over the cookie",
          },
          apiKey: {
            type: "http",
            scheme: "bearer",
            description:
              "An API key (auth-service api-key create) for /admin; each route needs one scope",
          },
          basic: {
            type: "http",
            scheme: "basic",
            description: "POST /sessions only: log in with base64(email:password), UTF-8",
          },
        },
      },
    },
  });
  // staticCSP: its own policy, on /docs only; plus the one inline style it needs, by hash.
  if (options.ui)
    await app.register(fastifySwaggerUi, {
      routePrefix: "/docs",
      staticCSP: true,
      transformStaticCSP: (header) => header.replace("style-src 'self'", SWAGGER_UI_STYLE_SRC),
    });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}

/**
 * Swagger UI's top bar draws its logo as an SVG with a <style> element inside
 * (swagger-ui-bundle.js, "logo_small_svg"), which a policy without
 * 'unsafe-inline' blocks, and Chromium logs the violation. Allowing exactly
 * that text by its hash keeps every other inline style out. A Swagger UI
 * release that changes the logo shows up as a violation again in
 * test/browser/accessibility.test.ts, which loads /docs.
 */
const SWAGGER_UI_LOGO_STYLE =
  ".logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}";
const SWAGGER_UI_STYLE_SRC = `style-src 'self' 'sha256-${createHash("sha256").update(SWAGGER_UI_LOGO_STYLE).digest("base64")}'`;

const FORM_OR_JSON = ["application/x-www-form-urlencoded", "application/json"];

/** What each route does, for the document. */
const SUMMARIES: Record<string, string> = {
  "GET /": "Welcome message",
  "GET /health": "Liveness: the process serves",
  "GET /ready": "Readiness: the database answers",
  "POST /users": "Register a user",
  "POST /sessions":
    "Log in with the form, JSON, or Authorization: Basic (then session_token is in the body too): sets the session_id cookie",
  "DELETE /sessions":
    "Log out: ends this session; with the cookie, clears it and 303 to /; with a bearer token, 204",
  "GET /profile": "The logged-in user's email",
  "GET /sessions": "The logged-in user's sessions (public ids, never tokens)",
  "DELETE /sessions/:id": "End one of the logged-in user's sessions",
  "PUT /profile/password": "Change the password; ends the user's other sessions",
  "GET /mfa": "Two-factor authentication state: TOTP on or off, recovery codes left",
  "POST /mfa/totp/setup":
    "Start TOTP setup: a new secret and its otpauth:// URI, pending until confirmed (409 when on)",
  "POST /mfa/totp/confirm":
    "Turn TOTP on with a current code and the password: answers the 10 recovery codes, once",
  "DELETE /mfa/totp": "Turn two-factor authentication off (needs the password)",
  "POST /mfa/recovery-codes": "Ten new recovery codes, the old ones void (needs the password)",
  "POST /sessions/mfa":
    "Finish a login that answered mfa_required: the mfa_token and a TOTP or recovery code; sets the session_id cookie",
  "POST /users/verify": "Verify an email address with the token of its link",
  "POST /users/verification":
    "Ask for a new verification link (the token in the body in development; in production the same answer for any email)",
  "PUT /profile/email":
    "Ask to change the email (needs the password): 202, a link to the new address; nothing changes until it is confirmed",
  "POST /profile/email/confirm":
    "Confirm an email change with the token of its link: the new address, the other sessions ended (409 when taken by then)",
  "POST /reset_password": "Ask for a reset token (in the body in development mode)",
  "PUT /reset_password": "Set a new password with a reset token; ends every session",
  "GET /admin/users": "Admin (users:read): users in id order, a page at a time (next: the cursor)",
  "GET /admin/users/:id": "Admin (users:read): one user and their live session count",
  "POST /admin/users": "Admin (users:write): create a user (no registration limit)",
  "DELETE /admin/users/:id": "Admin (users:write): delete a user, their sessions and tokens",
  "DELETE /admin/users/:id/sessions": "Admin (users:write): end every session of a user",
  "GET /admin/audit": "Admin (audit:read): the audit trail, oldest first",
};

/** Routes that take a session, by cookie or bearer token. */
const SESSION_ROUTES = new Set([
  "DELETE /sessions",
  "GET /profile",
  "GET /sessions",
  "DELETE /sessions/:id",
  "PUT /profile/password",
  "GET /mfa",
  "POST /mfa/totp/setup",
  "POST /mfa/totp/confirm",
  "DELETE /mfa/totp",
  "POST /mfa/recovery-codes",
  "PUT /profile/email",
]);

/** Routes that never touch the database, so never answer 503 for it. */
const WITHOUT_DATABASE = new Set(["/", "/health"]);

/**
 * Answers every route can give besides its own, documented in one place as
 * routes are added: a route with a body or path parameters can answer 400
 * (invalid input); one with a body also 403 (cross-site), 413 (too large)
 * and 415 (not a form or JSON); any route that reads the database can answer
 * 503 while it is unreachable.
 */
function documentCommonAnswers(app: FastifyInstance): void {
  app.addHook("onRoute", (route: RouteOptions) => {
    const schema = route.schema;
    if (!schema || (schema as { hide?: boolean }).hide) return;
    const path = route.url === "/" ? "/" : route.url.replace(/\/$/, "");
    const methods = [route.method].flat();
    const summary = SUMMARIES[`${methods[0]} ${path}`];
    if (summary) (schema as { summary?: string }).summary ??= summary;
    const security = schema as { security?: Array<Record<string, string[]>> };
    if (SESSION_ROUTES.has(`${methods[0]} ${path}`))
      security.security ??= [{ bearer: [] }, { session: [] }];
    if (`${methods[0]} ${path}` === "POST /sessions") security.security ??= [{ basic: [] }, {}];
    if (path.startsWith("/admin/")) security.security ??= [{ apiKey: [] }];
    const response = (schema.response ?? {}) as Record<string, unknown>;
    if (schema.params) response[400] ??= errorResponse;
    if (schema.body) {
      (schema as { consumes?: string[] }).consumes ??= FORM_OR_JSON;
      for (const code of [400, 403, 413, 415]) response[code] ??= errorResponse;
    }
    if (!WITHOUT_DATABASE.has(path)) response[503] ??= errorResponse;
    schema.response = response;
  });
}
