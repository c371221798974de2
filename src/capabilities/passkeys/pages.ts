import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Accounts } from "../../core/accounts.js";
import { AuthError, NoResultFound } from "../../core/errors.js";
import type { SessionCookie } from "../../core/http/cookies.js";
import { clientOf } from "../../core/http/cookies.js";
import { setRetryAfter, statusOf } from "../../core/http/errors.js";
import type { AccountPage, AccountSection } from "../../core/pages/account-page.js";
import { errorText } from "../../core/pages/error-text.js";
import type { PageKit } from "../../core/pages/page-context.js";
import { type Fields, field, formRoute, sendSessionGone } from "../../core/pages/page-kit.js";
import { PASSKEYS_SCRIPT } from "./browser-script.js";
import type { Passkeys } from "./passkeys.js";
import { passkeyIdParams } from "./routes.js";
import { PASSKEYS_SCRIPT_PATH, passkeySection, WEBAUTHN_SCRIPT_PATH } from "./views.js";

/** @simplewebauthn/browser's own bundle (UMD: defines SimpleWebAuthnBrowser), read once from the package. */
function webauthnBundle(): string {
  const entry = createRequire(import.meta.url).resolve("@simplewebauthn/browser");
  // .../@simplewebauthn/browser/script/index.js -> the package's dist/bundle.
  return readFileSync(join(dirname(dirname(entry)), "dist/bundle/index.umd.min.js"), "utf8");
}

/**
 * The passkeys' hosted pages: the two scripts (same-origin files, as the
 * CSP wants), /account's section (Add, Rename, Remove), and the form posts
 * of Rename and Remove. Adding, and signing in, go through the JSON routes.
 */
export async function passkeyPages(
  app: FastifyInstance,
  {
    auth,
    cookie,
    passkeys,
    accountPage,
    pages,
  }: {
    auth: Accounts;
    cookie: SessionCookie;
    passkeys: Passkeys;
    accountPage: AccountPage;
    pages: PageKit;
  },
): Promise<void> {
  const hidden = { schema: { hide: true } };
  const bundle = webauthnBundle();
  const sendScript = (reply: FastifyReply, text: string) =>
    reply
      .type("text/javascript; charset=utf-8")
      .header("cache-control", "public, max-age=3600")
      .send(text);
  app.get(WEBAUTHN_SCRIPT_PATH, hidden, async (_request, reply) => sendScript(reply, bundle));
  app.get(PASSKEYS_SCRIPT_PATH, hidden, async (_request, reply) =>
    sendScript(reply, PASSKEYS_SCRIPT),
  );

  const route = { schema: { ...formRoute.schema, params: passkeyIdParams } };
  for (const path of ["/account/passkeys/:id/rename", "/account/passkeys/:id/remove"])
    app.get(path, hidden, async (_request, reply) => reply.redirect("/account", 303));

  app.post<{ Params: { id: string }; Body: Fields }>(
    "/account/passkeys/:id/rename",
    route,
    async (request, reply) => {
      const token = cookie.read(request);
      const current = await auth.signedIn(token);
      if (!current) return reply.redirect("/account/login", 303);
      try {
        await passkeys.rename(
          current,
          request.params.id,
          field(request.body, "name"),
          clientOf(request),
        );
      } catch (error) {
        if (error instanceof NoResultFound)
          return reply.redirect("/account?done=passkey-gone", 303);
        if (!(error instanceof AuthError)) throw error;
        const ctx = pages.contextOf(request, "/account");
        return accountPage.send(request, reply, token, statusOf(error), {
          error: errorText(ctx, error),
        });
      }
      return reply.redirect("/account?done=passkey-renamed", 303);
    },
  );

  app.post<{ Params: { id: string }; Body: Fields }>(
    "/account/passkeys/:id/remove",
    route,
    async (request, reply) => {
      const token = cookie.read(request);
      const current = await auth.signedIn(token);
      if (!current) return reply.redirect("/account/login", 303);
      const ctx = pages.contextOf(request, "/account");
      const failure = (status: number, error: string) =>
        accountPage.send(request, reply, token, status, { error });
      const proof = {
        password: field(request.body, "password"),
        code: field(request.body, "code"),
      };
      let result: Awaited<ReturnType<Passkeys["remove"]>>;
      try {
        result = await passkeys.remove(current, request.params.id, proof, clientOf(request));
      } catch (error) {
        if (error instanceof NoResultFound)
          return reply.redirect("/account?done=passkey-gone", 303);
        if (!(error instanceof AuthError)) throw error;
        setRetryAfter(reply, error);
        return failure(statusOf(error), errorText(ctx, error));
      }
      if (result.outcome === "done") {
        const done = result.value.secondFactorLeft ? "passkey-removed" : "passkey-removed-last";
        return reply.redirect(`/account?done=${done}`, 303);
      }
      if (result.outcome === "wrong_password")
        return failure(403, ctx.t("error.wrong_current_password"));
      if (result.outcome === "code_required") return failure(403, ctx.t("error.code_required"));
      if (result.outcome === "wrong_code") return failure(403, ctx.t("error.wrong_code"));
      return sendSessionGone(reply, cookie, result.outcome);
    },
  );
}

/** /account's passkeys section: the list with Add, Rename and Remove. */
export function passkeyAccountSection(passkeys: Passkeys): AccountSection {
  return {
    async render({ user, sessions, secondFactorOn, ctx }) {
      const current = sessions.find((session) => session.current);
      const recent = current !== undefined && passkeys.isRecentSignIn(current);
      const list = await passkeys.list(user.id);
      const state = { passkeys: list, recent, hasFactor: secondFactorOn };
      return { part: passkeySection(ctx, state) };
    },
  };
}
