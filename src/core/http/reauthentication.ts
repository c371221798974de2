import type { FastifyReply } from "fastify";
import type { ReauthenticationOutcome } from "../reauthentication.js";
import type { SessionCookie } from "./cookies.js";
import { type SessionCredential, sendNotSignedIn } from "./credentials.js";
import { sendError } from "./errors.js";

/**
 * The answer to a change refused at its current-password check: not signed
 * in, a wrong password (403), a second factor's code missing or wrong (403),
 * or the wrong try that ended the session (403, and the cookie goes with it).
 */
export function sendReauthenticationRefused(
  reply: FastifyReply,
  outcome: Exclude<ReauthenticationOutcome, "confirmed">,
  credential: SessionCredential,
  cookie: SessionCookie,
): FastifyReply {
  if (outcome === "no_session") return sendNotSignedIn(reply, credential);
  if (outcome === "session_ended") {
    if (credential.via === "cookie") cookie.clear(reply);
    return sendError(
      reply,
      403,
      "invalid_credentials",
      "wrong current password or code, too many times: this session has ended",
    );
  }
  if (outcome === "code_required")
    return sendError(
      reply,
      403,
      "mfa_required",
      "this account has a second factor: send a current code (TOTP or recovery code) with the password",
    );
  if (outcome === "wrong_code")
    return sendError(reply, 403, "invalid_code", "wrong or already used code");
  return sendError(reply, 403, "invalid_credentials", "wrong current password");
}
