import type { SessionClient } from "./session.js";

/** Who an event concerns, as far as the domain knows at that point. */
export interface EventSubject {
  userId?: number | null;
  /** As typed; the audit trail stores it normalized. */
  email?: string | null;
  client?: SessionClient;
}

/**
 * What the domain reports as it works, for metrics and the audit trail. The
 * domain only calls a listener; it knows nothing of Prometheus or tables.
 * Events never carry a password, a token or a hash.
 */
export type AuthEvent =
  | ({
      type: "login";
      /** unverified: the right password, refused for an unverified address (EMAIL_VERIFICATION=required). */
      outcome: "success" | "failure" | "throttled" | "busy" | "unverified";
    } & EventSubject)
  | ({ type: "registration"; outcome: "success" | "taken" | "throttled" | "busy" } & EventSubject)
  | ({ type: "reset"; stage: "requested"; outcome?: "accepted" | "throttled" } & EventSubject)
  | ({ type: "reset"; stage: "completed" } & EventSubject)
  | ({ type: "logout" } & EventSubject)
  | ({ type: "password_changed" } & EventSubject)
  | ({ type: "reauthentication"; outcome: "failure"; sessionEnded: boolean } & EventSubject)
  /**
   * erased: the owner deleted the account, and everything kept of it went
   * with it; its audit row keeps neither the email nor the client.
   */
  | ({ type: "user_deleted"; erased?: boolean } & EventSubject)
  | ({ type: "sessions_revoked"; count: number } & EventSubject)
  | ({ type: "second_factor"; action: SecondFactorAction } & EventSubject)
  | ({ type: "email_verified" } & EventSubject)
  | ({ type: "email_change"; stage: "requested" | "completed" } & EventSubject)
  | ({
      type: "mfa_challenge";
      outcome: MfaChallengeOutcome;
      method?: SecondFactorMethod;
      /** After a recovery code was used: how many the user has left. */
      recoveryCodesLeft?: number;
    } & EventSubject)
  | ({
      type: "passkey";
      action: PasskeyAction;
      /** used: what for; refused: why (never the response itself). */
      outcome?: PasskeyUse | PasskeyRefusal;
    } & EventSubject)
  | ({ type: "social_login"; provider: string; outcome: SocialLoginOutcome } & EventSubject)
  | ({ type: "identity"; action: "linked" | "unlinked"; provider: string } & EventSubject)
  /** The OpenID provider: a relying party registered or deleted through the admin API. */
  | ({ type: "oauth_client"; action: "created" | "deleted"; clientId: string } & EventSubject)
  /** The OpenID provider: a user allowed an application on the consent page. */
  | ({ type: "oauth_consent"; clientId: string; scopes: readonly string[] } & EventSubject)
  /**
   * The OpenID provider issued tokens at its token endpoint, by grant type
   * (authorization_code, refresh_token, client_credentials, device_code);
   * a user's grants name the user, a client's own (client_credentials) none.
   */
  | ({ type: "oauth_grant"; grantType: string; clientId: string } & EventSubject)
  /**
   * Tokens revoked: one at the revocation endpoint, or every provider
   * session, grant and token of a user by a take-back (logout, password
   * change or reset, sessions ended), or a user's grants to one client, which
   * they removed from their account (user_revoked).
   */
  | ({
      type: "oauth_token_revoked";
      reason: "revocation" | "take_back" | "user_revoked";
      clientId?: string;
    } & EventSubject)
  /**
   * A failure the OpenID provider reported: a refused grant (grant), an
   * error it answered an other request with (request), its own fault
   * (server). `error` is the OAuth error code.
   */
  | { type: "oauth_error"; kind: "grant" | "request" | "server"; error: string }
  /** An operator added or removed an identity provider (client: "api-key <name>" or the CLI). */
  | ({ type: "provider"; action: "added" | "removed"; provider: string } & EventSubject)
  | { type: "hash"; operation: "hash" | "verify"; seconds: number };

/**
 * A sign-in through another provider, once its callback came back: signed_in
 * (a linked identity, handed to SignIn), account_created, link_required (an
 * account has the email: its password is asked), or why it was refused
 * (invalid_callback: forged, replayed, expired or not verifying;
 * no_verified_email; identity_taken).
 */
export type SocialLoginOutcome =
  | "signed_in"
  | "account_created"
  | "link_required"
  | "invalid_callback"
  | "no_verified_email"
  | "identity_taken";

/** What happened to one of a user's passkeys. */
export type PasskeyAction = "added" | "renamed" | "removed" | "used" | "refused";
/** What a passkey was used for: a sign-in without password, a second factor (a login's or a change's). */
export type PasskeyUse = "sign_in" | "second_factor";
/**
 * Why a passkey response was refused: an unknown credential, a challenge
 * unknown, used, expired or not this one's, a response that does not verify
 * (origin, RP ID, signature, format), a signature counter that went back (a
 * copied authenticator), no user verification where it is required.
 */
export type PasskeyRefusal =
  | "unknown_credential"
  | "unknown_challenge"
  | "invalid_response"
  | "counter_regression"
  | "user_verification_required";

/** What happened to a user's second factor. */
export type SecondFactorAction =
  | "enabled"
  | "disabled"
  | "recovery_codes_renewed"
  | "reset_by_operator";

/**
 * The second step of a login: "required" when the right password met an
 * account with a factor (an mfa_token was issued), then one of the others for
 * each code sent with it. "token_spent" is the wrong code that used up the
 * token's last try; "invalid_token" an unknown, used or expired mfa_token.
 */
export type MfaChallengeOutcome =
  | "required"
  | "success"
  | "failure"
  | "token_spent"
  | "invalid_token"
  | "throttled";

export type SecondFactorMethod = "totp" | "recovery_code" | "passkey";

export type AuthEventListener = (event: AuthEvent) => void;

/** One listener that tells each of these in turn. */
export function fanOut(...listeners: Array<AuthEventListener | undefined>): AuthEventListener {
  const present = listeners.filter((listener) => listener !== undefined);
  return (event) => {
    for (const listener of present) listener(event);
  };
}
