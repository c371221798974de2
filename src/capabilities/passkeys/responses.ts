import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";

/**
 * The browser's answers (PublicKeyCredential.toJSON(), or
 * @simplewebauthn/browser's) read from untrusted input, an object or its
 * JSON text, before any of it reaches the library: the fields it reads, as
 * base64url strings of bounded length. Null for anything else.
 */

/** base64url, as WebAuthn's JSON encodes bytes. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Longest JSON text read: far above any real answer (an RS256 attestation is ~2 KiB). */
export const RESPONSE_TEXT_MAX_LENGTH = 32 * 1024;

export const CREDENTIAL_ID_MAX_LENGTH = 1366; // 1023 bytes (WebAuthn's limit) in base64url

type Json = { readonly [key: string]: unknown };

export function authenticationResponseOf(input: unknown): AuthenticationResponseJSON | null {
  const value = objectOf(input);
  const response = objectOf(value?.response);
  if (!value || !response) return null;
  const id = base64url(value.id, CREDENTIAL_ID_MAX_LENGTH, 1);
  const clientDataJSON = base64url(response.clientDataJSON, 8192, 1);
  const authenticatorData = base64url(response.authenticatorData, 8192, 37);
  const signature = base64url(response.signature, 2048, 1);
  const userHandle = response.userHandle ?? undefined;
  if (!id || !clientDataJSON || !authenticatorData || !signature) return null;
  if (userHandle !== undefined && !base64url(userHandle, 128, 0)) return null;
  if (!sameIdAndType(value, id)) return null;
  return {
    id,
    rawId: id,
    type: "public-key",
    response: {
      clientDataJSON,
      authenticatorData,
      signature,
      ...(typeof userHandle === "string" && userHandle !== "" ? { userHandle } : {}),
    },
    clientExtensionResults: {},
  };
}

export function registrationResponseOf(input: unknown): RegistrationResponseJSON | null {
  const value = objectOf(input);
  const response = objectOf(value?.response);
  if (!value || !response) return null;
  const id = base64url(value.id, CREDENTIAL_ID_MAX_LENGTH, 1);
  const clientDataJSON = base64url(response.clientDataJSON, 8192, 1);
  const attestationObject = base64url(response.attestationObject, 16_384, 1);
  if (!id || !clientDataJSON || !attestationObject || !sameIdAndType(value, id)) return null;
  const transports = Array.isArray(response.transports)
    ? response.transports.filter(
        (item): item is string => typeof item === "string" && /^[a-z-]{1,32}$/.test(item),
      )
    : [];
  return {
    id,
    rawId: id,
    type: "public-key",
    response: { clientDataJSON, attestationObject, transports: transports.slice(0, 8) },
    clientExtensionResults: {},
  };
}

/** The id is the credential's; rawId, when sent, must say the same, and the type be public-key. */
function sameIdAndType(value: Json, id: string): boolean {
  if (value.rawId !== undefined && value.rawId !== id) return false;
  return value.type === undefined || value.type === "public-key";
}

function objectOf(input: unknown): Json | null {
  if (typeof input === "string") {
    if (input.length > RESPONSE_TEXT_MAX_LENGTH || !input.trimStart().startsWith("{")) return null;
    try {
      return objectOf(JSON.parse(input));
    } catch {
      return null;
    }
  }
  return typeof input === "object" && input !== null && !Array.isArray(input)
    ? (input as Json)
    : null;
}

function base64url(value: unknown, maxLength: number, minLength: number): string | null {
  if (typeof value !== "string" || value.length < minLength || value.length > maxLength)
    return null;
  return BASE64URL.test(value) ? value : null;
}
