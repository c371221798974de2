import type { AuthEvent } from "../../core/events.js";

/** What an endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  "user.created",
  "user.deleted",
  "session.created",
  "password.changed",
  "email.verified",
  "email.changed",
  "passkey.added",
  "passkey.removed",
  "identity.linked",
  "identity.unlinked",
  "oauth.consent.granted",
  "oauth.token.revoked",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent by `webhook test` only, to the one endpoint tested. */
export const TEST_EVENT_TYPE = "webhook.test";

/** The JSON body of a delivery (Standard Webhooks' suggested shape). */
export interface WebhookPayload {
  type: string;
  /** ISO 8601, when the event happened (not when it was sent). */
  timestamp: string;
  data: Record<string, unknown>;
}

export function isWebhookEventType(text: string): text is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(text);
}

/**
 * The webhook a domain event becomes, or null. Built from the event's subject
 * only (user id, email, client address): events carry no password, token,
 * hash or session id, so neither can a payload.
 */
export function toWebhookPayload(event: AuthEvent, at: Date): WebhookPayload | null {
  const type = webhookTypeOf(event);
  if (type === null || event.type === "hash" || event.type === "oauth_error") return null;
  const data: Record<string, unknown> = {
    user: { id: event.userId ?? null, email: event.email ?? null },
  };
  if (type === "session.created" && event.client?.ip) data.ip = event.client.ip;
  if (event.type === "identity") data.provider = event.provider;
  if (event.type === "oauth_consent") {
    data.client_id = event.clientId;
    data.scopes = [...event.scopes];
  }
  if (event.type === "oauth_token_revoked") {
    data.reason = event.reason;
    if (event.clientId) data.client_id = event.clientId;
  }
  return { type, timestamp: at.toISOString(), data };
}

function webhookTypeOf(event: AuthEvent): WebhookEventType | null {
  switch (event.type) {
    case "registration":
      return event.outcome === "success" ? "user.created" : null;
    case "login":
      return event.outcome === "success" ? "session.created" : null;
    case "user_deleted":
      return "user.deleted";
    case "password_changed":
      return "password.changed";
    case "email_verified":
      return "email.verified";
    case "email_change":
      return event.stage === "completed" ? "email.changed" : null;
    case "reset":
      return event.stage === "completed" ? "password.changed" : null;
    case "passkey":
      if (event.action === "added") return "passkey.added";
      return event.action === "removed" ? "passkey.removed" : null;
    case "identity":
      return event.action === "linked" ? "identity.linked" : "identity.unlinked";
    case "oauth_consent":
      return "oauth.consent.granted";
    case "oauth_token_revoked":
      return "oauth.token.revoked";
    default:
      return null;
  }
}
