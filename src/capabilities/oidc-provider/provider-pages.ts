import type { Configuration } from "oidc-provider";
import { LANGUAGE_COOKIE, type PageContext, type PageKit } from "../../core/pages/page-context.js";
import {
  deviceConfirmView,
  deviceDoneView,
  deviceInputView,
  errorView,
  loggedOutView,
  logoutView,
} from "./views.js";

/** What the pages need of oidc-provider's koa context. */
interface KoaContext {
  method: string;
  originalUrl: string;
  path: string;
  get(header: string): string;
  cookies: { get(name: string, options?: { signed?: boolean }): string | undefined };
  type: string;
  body: unknown;
}

/**
 * The page context of a request oidc-provider answers itself: its language
 * from the switcher's cookie and Accept-Language (PageKit.languageFrom, as
 * every hosted page), the switcher leading back to the page when it was a GET.
 */
export function koaPageContext(pages: PageKit, ctx: KoaContext): PageContext {
  const chosen = ctx.cookies.get(LANGUAGE_COOKIE, { signed: false });
  const lang = pages.languageFrom(chosen, ctx.get("accept-language") || undefined);
  return pages.contextIn(lang, ctx.method === "GET" ? ctx.originalUrl : ctx.path);
}

function send(ctx: KoaContext, body: string): void {
  ctx.type = "html";
  ctx.body = body;
}

/** oidc-provider's page hooks (error, logout, device flow), drawn as hosted pages. */
export function providerPages(pages: PageKit) {
  const contextOf = (ctx: unknown) => koaPageContext(pages, ctx as KoaContext);
  const renderError: Configuration["renderError"] = async (ctx, out) => {
    send(ctx as unknown as KoaContext, errorView(contextOf(ctx), out.error));
  };
  const rpInitiatedLogout = {
    async logoutSource(ctx: unknown, form: string) {
      send(ctx as KoaContext, logoutView(contextOf(ctx), form));
    },
    async postLogoutSuccessSource(ctx: unknown) {
      send(ctx as KoaContext, loggedOutView(contextOf(ctx)));
    },
  };
  const deviceFlow = {
    async userCodeInputSource(ctx: unknown, form: string, _out: unknown, err: unknown) {
      send(ctx as KoaContext, deviceInputView(contextOf(ctx), form, err !== undefined));
    },
    async userCodeConfirmSource(
      ctx: unknown,
      form: string,
      client: { clientName?: string; clientId: string },
      _deviceInfo: unknown,
      userCode: string,
    ) {
      const client_ = client.clientName ?? client.clientId;
      send(
        ctx as KoaContext,
        deviceConfirmView(contextOf(ctx), form, { client: client_, code: userCode }),
      );
    },
    async successSource(ctx: unknown) {
      send(ctx as KoaContext, deviceDoneView(contextOf(ctx)));
    },
  };
  return { renderError, rpInitiatedLogout, deviceFlow };
}
