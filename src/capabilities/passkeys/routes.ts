import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Accounts, LoginResult } from "../../core/accounts.js";
import { InvalidCodeError, PasskeyError } from "../../core/errors.js";
import { clientOf, type SessionCookie } from "../../core/http/cookies.js";
import { signedInOrRefuse } from "../../core/http/credentials.js";
import { sendError } from "../../core/http/errors.js";
import { loggedIn } from "../../core/http/logged-in.js";
import { sendReauthenticationRefused } from "../../core/http/reauthentication.js";
import {
  errorResponse,
  fieldsBody,
  loginResponse,
  PLAIN_TEXT_PATTERN,
  passwordField,
  refusals,
  secondFactorProofField,
  tokenField,
} from "../../core/http/schemas.js";
import type { SecondFactorProof } from "../../core/second-step.js";
import { PASSKEY_NAME_MAX_LENGTH, type PasskeyInfo, type Passkeys } from "./passkeys.js";
import { RESPONSE_TEXT_MAX_LENGTH } from "./responses.js";

/** The browser's answer: the credential's JSON (an object), or its JSON text in a form. */
const responseField = {
  anyOf: [
    { type: "object" },
    { type: "string", minLength: 1, maxLength: RESPONSE_TEXT_MAX_LENGTH, pattern: "^\\s*\\{" },
  ],
} as const;

const nameField = {
  type: "string",
  minLength: 1,
  maxLength: PASSKEY_NAME_MAX_LENGTH,
  pattern: PLAIN_TEXT_PATTERN,
} as const;

/** `:id` of a passkey in a path (its public id: base64url). */
export const passkeyIdParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" } },
} as const;

/** A body that may be absent, empty, or carry only these fields. */
function optionalBody(properties: Record<string, unknown>) {
  return { type: ["object", "null"], additionalProperties: false, properties } as const;
}

/** WebAuthn options as @simplewebauthn/server makes them, passed through whole. */
const optionsResponse = { type: "object", additionalProperties: true } as const;

const passkeyObject = {
  type: "object",
  required: ["id", "name", "createdAt", "lastUsedAt"],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    createdAt: { type: "string", format: "date-time" },
    lastUsedAt: { type: ["string", "null"], format: "date-time" },
    backedUp: { type: "boolean" },
  },
} as const;

const session: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

/**
 * Passkeys over HTTP (CONTRACT.md Part 2 D): a signed-in user adds, lists,
 * renames and removes passkeys; anyone signs in with one. The ceremonies'
 * options are @simplewebauthn/server's JSON, for @simplewebauthn/browser or
 * PublicKeyCredential.parse*OptionsFromJSON.
 */
export async function passkeyRoutes(
  app: FastifyInstance,
  { auth, cookie, passkeys }: { auth: Accounts; cookie: SessionCookie; passkeys: Passkeys },
): Promise<void> {
  const signedIn = (request: FastifyRequest, reply: FastifyReply) =>
    signedInOrRefuse(auth, cookie, request, reply);

  app.post<{ Body: { password?: string; code?: SecondFactorProof } | null | undefined }>(
    "/passkeys/registration/options",
    {
      schema: {
        summary:
          "Options to add a passkey (signed in; a session older than 5 minutes sends password, and code when the account has a second factor)",
        security: session,
        body: optionalBody({ password: passwordField, code: secondFactorProofField }),
        response: { 200: optionsResponse, ...refusals },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const proof = request.body ?? {};
      const result = await passkeys.creationOptions(asking.current, proof, clientOf(request));
      if (result.outcome !== "done")
        return sendReauthenticationRefused(reply, result.outcome, asking.credential, cookie);
      return result.value;
    },
  );

  app.post<{ Body: { response: unknown; name?: string } }>(
    "/passkeys/registration",
    {
      schema: {
        summary: "Add the passkey of a registration answer (signed in)",
        security: session,
        body: {
          type: "object",
          required: ["response"],
          additionalProperties: false,
          properties: { response: responseField, name: nameField },
        },
        response: {
          200: {
            type: "object",
            required: ["message", "passkey"],
            properties: { message: { type: "string" }, passkey: passkeyObject },
          },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const { response, name } = request.body;
      const passkey = await passkeys.register(asking.current, response, name, clientOf(request));
      return { message: "passkey added", passkey: shown(passkey) };
    },
  );

  app.get(
    "/passkeys",
    {
      schema: {
        summary: "The signed-in user's passkeys (never key material)",
        security: session,
        response: {
          200: {
            type: "object",
            required: ["passkeys"],
            properties: { passkeys: { type: "array", items: passkeyObject } },
          },
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      return { passkeys: (await passkeys.list(asking.current.user.id)).map(shown) };
    },
  );

  app.put<{ Params: { id: string }; Body: { name: string } }>(
    "/passkeys/:id",
    {
      schema: {
        summary: "Rename one of the signed-in user's passkeys",
        security: session,
        params: passkeyIdParams,
        body: fieldsBody({ name: nameField }),
        response: {
          200: {
            type: "object",
            required: ["passkey"],
            properties: { passkey: passkeyObject },
          },
          404: errorResponse,
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const { current } = asking;
      const renamed = await passkeys.rename(
        current,
        request.params.id,
        request.body.name,
        clientOf(request),
      );
      return { passkey: shown(renamed) };
    },
  );

  app.delete<{ Params: { id: string }; Body: { password: string; code?: SecondFactorProof } }>(
    "/passkeys/:id",
    {
      schema: {
        summary:
          "Remove a passkey: the password, and a current second factor unless the session is younger than 5 minutes; second_factor says whether one is left",
        security: session,
        params: passkeyIdParams,
        body: fieldsBody({ password: passwordField }, { code: secondFactorProofField }),
        response: {
          200: {
            type: "object",
            required: ["message", "second_factor"],
            properties: { message: { type: "string" }, second_factor: { type: "boolean" } },
          },
          404: errorResponse,
          ...refusals,
        },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      const { password, code } = request.body;
      const result = await passkeys.remove(
        asking.current,
        request.params.id,
        { password, code },
        clientOf(request),
      );
      if (result.outcome !== "done")
        return sendReauthenticationRefused(reply, result.outcome, asking.credential, cookie);
      const left = result.value.secondFactorLeft;
      const message = left
        ? "passkey removed"
        : "passkey removed: it was this account's last second factor, so logging in now asks for the password only";
      return { message, second_factor: left };
    },
  );

  app.post(
    "/passkeys/authentication/options",
    {
      schema: {
        summary:
          "Options to sign in with a passkey (no allowCredentials: the authenticator offers its own), or to use one as a login's second step; limited per client address (PASSKEY_OPTIONS_MAX_PER_IP: 429 past it)",
        body: optionalBody({}),
        response: { 200: optionsResponse, ...refusals },
      },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store");
      return passkeys.signInOptions(clientOf(request));
    },
  );

  app.post(
    "/passkeys/reauthentication/options",
    {
      schema: {
        summary:
          "Options to prove a passkey as the second factor of a sensitive change (signed in; its answer goes in that change's code)",
        security: session,
        body: optionalBody({}),
        response: { 200: optionsResponse, ...refusals },
      },
    },
    async (request, reply) => {
      const asking = await signedIn(request, reply);
      if (!asking) return reply;
      return passkeys.requestOptions(asking.current);
    },
  );

  app.post<{ Body: { response: unknown; mfa_token?: string } }>(
    "/passkeys/authentication",
    {
      schema: {
        summary:
          "Sign in with a passkey and no password (user verification needed), or, with mfa_token, finish a login that answered mfa_required: sets the session_id cookie",
        body: {
          type: "object",
          required: ["response"],
          additionalProperties: false,
          properties: { response: responseField, mfa_token: tokenField },
        },
        response: { 200: loginResponse, ...refusals },
      },
    },
    async (request, reply) => {
      const { response, mfa_token: mfaToken } = request.body;
      const client = clientOf(request);
      let result: LoginResult;
      try {
        result =
          mfaToken === undefined
            ? await passkeys.signIn(response, client)
            : await auth.completeLogin(mfaToken, response as SecondFactorProof, client);
      } catch (error) {
        // A refused answer is a failed authentication (401), not a bad form.
        if (error instanceof PasskeyError && error.code === "invalid_passkey")
          return sendError(reply, 401, "invalid_passkey", error.message);
        if (error instanceof InvalidCodeError)
          return sendError(reply, 401, "invalid_code", "the passkey's answer is not valid");
        throw error;
      }
      return loggedIn(reply, cookie, result);
    },
  );
}

function shown(passkey: PasskeyInfo) {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
    backedUp: passkey.backedUp,
  };
}
