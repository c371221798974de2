import type { IncomingMessage } from "node:http";
import { interactionPolicy } from "oidc-provider";

/**
 * The service's session token of each request handed to oidc-provider, read
 * by the service's own cookie reader before the hand-over (mountProvider):
 * its hooks get a koa context over the same raw request.
 */
const serviceTokens = new WeakMap<IncomingMessage, string | undefined>();

export function rememberServiceToken(raw: IncomingMessage, token: string | undefined): void {
  serviceTokens.set(raw, token);
}

/** The service's session token of the request behind this koa context (its `req`). */
export function serviceToken(ctx: unknown): string | undefined {
  return serviceTokens.get((ctx as { req: IncomingMessage }).req);
}

/** The `sub` of the user the request's live service session belongs to; null without one. */
export type SignedInSubject = (ctx: unknown) => Promise<string | null>;

/**
 * oidc-provider's default policy, with one more check on its login prompt:
 * the provider's session (14 days, its own cookie) counts only while the
 * service's session in the same browser is live and is the same person's.
 * Otherwise the login step comes again, and finishes with whoever is signed
 * in to the service then: a user who signed out of the service, or whose
 * session expired, or another person signed in since, is never signed into
 * an application by the provider's older session.
 */
export function linkedPolicy(signedInSubject: SignedInSubject): interactionPolicy.DefaultPolicy {
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy.get("login")?.checks.add(
    new Check(
      "service_session",
      "the service's session has ended or belongs to another user",
      "login_required",
      async (ctx) => {
        const accountId = ctx.oidc.session?.accountId;
        // No provider session: the default `no_session` check asks already.
        if (!accountId) return Check.NO_NEED_TO_PROMPT;
        // The interaction just finished its login step with the service's user.
        if (ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
        return (await signedInSubject(ctx)) === accountId
          ? Check.NO_NEED_TO_PROMPT
          : Check.REQUEST_PROMPT;
      },
    ),
  );
  return policy;
}
