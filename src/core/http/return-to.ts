import type { FastifyReply, FastifyRequest } from "fastify";
import { html, page } from "../../platform/pages/html.js";
import type { PageContext } from "../pages/page-context.js";

/**
 * Where a login goes once it is done, when something sent the person to the
 * login page on its way (the OpenID provider's interaction): a short-lived
 * cookie holding a same-origin path. Kept small on purpose, so it can give way
 * to a shared `?return_to=` on /account/login.
 */
const COOKIE = "auth_return_to";
const OPTIONS = { path: "/", httpOnly: true, sameSite: "lax", maxAge: 600 } as const;

/** A path on this origin: "/x", never "//host" or "/\\host" or a scheme. */
export function isSameOriginPath(value: string): boolean {
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(value);
}

/** Sends the login back to `path` (a same-origin path) once it is done. */
export function setReturnTo(reply: FastifyReply, path: string, secure: boolean): void {
  if (!isSameOriginPath(path)) throw new Error("return path must be a same-origin path");
  reply.setCookie(COOKIE, path, { ...OPTIONS, secure });
}

/** Where a finished login goes: the return path if one was set (then forgotten), else `fallback`. */
export function takeReturnTo(
  request: FastifyRequest,
  reply: FastifyReply,
  fallback: string,
): string {
  const header = request.headers.cookie;
  const value = header ? request.server.parseCookie(header)[COOKIE] : undefined;
  if (value === undefined) return fallback;
  reply.clearCookie(COOKIE, { path: "/" });
  return isSameOriginPath(value) ? value : fallback;
}

/**
 * Goes on to `path` (same origin) with a page that navigates there itself
 * (meta refresh, and a link), not a redirect: a redirect chain started by a
 * form is held to the form page's CSP form-action ('self'), and the chain
 * behind an OpenID interaction ends at the application's redirect URI.
 */
export function continueTo(reply: FastifyReply, path: string, ctx: PageContext): FastifyReply {
  if (!isSameOriginPath(path)) throw new Error("continue path must be a same-origin path");
  return reply
    .code(200)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(
      page(
        ctx.chrome,
        { title: ctx.t("continue.title") },
        html`<meta http-equiv="refresh" content="0;url=${path}">
<p><a href="${path}">${ctx.t("continue.link")}</a></p>`,
      ),
    );
}

/** A finished login: on to the return path if one was set (then forgotten), else a redirect to `fallback`. */
export function afterLogin(
  request: FastifyRequest,
  reply: FastifyReply,
  fallback: string,
  ctx: PageContext,
): FastifyReply {
  const to = takeReturnTo(request, reply, fallback);
  return to === fallback ? reply.redirect(fallback, 303) : continueTo(reply, to, ctx);
}
