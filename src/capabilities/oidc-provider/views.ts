import type { ThrottledError } from "../../core/errors.js";
import { errorText } from "../../core/pages/error-text.js";
import type { PageContext } from "../../core/pages/page-context.js";
import { escapeHtml, type Html, html, page } from "../../platform/pages/html.js";
import { oidcWords } from "./words.js";

/**
 * The OpenID provider's pages, in the request's language with the brand and
 * the language switcher. `form` arguments are oidc-provider's own hidden
 * forms (its CSRF token and fields): HTML it made, shown as it is.
 */

type Key = Parameters<ReturnType<typeof oidcWords.in>>[0];

/** The error codes the error page explains in words of its own; any other gets a general sentence. */
const EXPLAINED: Readonly<Record<string, Key>> = {
  invalid_request: "error.invalid_request",
  invalid_redirect_uri: "error.invalid_redirect_uri",
  invalid_client: "error.invalid_client",
  unauthorized_client: "error.unauthorized_client",
  invalid_scope: "error.invalid_scope",
  access_denied: "error.access_denied",
  invalid_grant: "error.expired",
  session_not_found: "error.expired",
  expired_token: "error.expired",
  server_error: "error.server_error",
  temporarily_unavailable: "error.server_error",
};

/**
 * The code shown on the error page: an OAuth error code as the protocol
 * spells them (lower case, underscores), else nothing. Its description is
 * never shown: it can repeat what the request carried.
 */
export function safeErrorCode(error: unknown): string | undefined {
  return typeof error === "string" && /^[a-z_]{1,64}$/.test(error) ? error : undefined;
}

export function errorView(ctx: PageContext, error: unknown, sentence?: Key): string {
  const t = oidcWords.in(ctx.lang);
  const code = safeErrorCode(error);
  const explanation = sentence ?? (code ? EXPLAINED[code] : undefined) ?? "error.other";
  return page(
    ctx.chrome,
    { title: t("error.title") },
    html`<p>${t(explanation)}</p>
${code ? html`<p><small>${t("error.code", { code })}</small></p>` : ""}
<p><a href="/account">${t("error.account_link")}</a></p>`,
  );
}

export function consentView(
  ctx: PageContext,
  { client, scopes, action }: { client: string; scopes: readonly string[]; action: string },
): string {
  const t = oidcWords.in(ctx.lang);
  return page(
    ctx.chrome,
    { title: t("consent.title") },
    html`<p>${t("consent.asks", { client })}</p>
${scopes.includes("email") ? html`<p>${t("consent.email")}</p>` : ""}
${scopes.includes("offline_access") ? html`<p>${t("consent.offline")}</p>` : ""}
<form method="post" action="${action}/confirm"><button type="submit">${t("consent.allow")}</button></form>
<form method="post" action="${action}/abort"><button type="submit" class="secondary">${t("consent.deny")}</button></form>`,
  );
}

/** The device page refused: too many codes tried from this address (how long to wait, in the page's words). */
export function deviceThrottledView(
  ctx: PageContext,
  error: ThrottledError,
  formPath: string,
): string {
  const t = oidcWords.in(ctx.lang);
  return page(
    ctx.chrome,
    { title: t("device.title"), error: errorText(ctx, error) },
    html`<p><a href="${formPath}">${t("device.type_code")}</a></p>`,
  );
}

/** oidc-provider's code input form, its English placeholder replaced by the page's label. */
export function deviceInputView(ctx: PageContext, form: string, failed: boolean): string {
  const t = oidcWords.in(ctx.lang);
  const label = escapeHtml(t("device.code_label"));
  const localised = form.replace(
    'placeholder="Enter code"',
    `placeholder="${label}" aria-label="${label}"`,
  );
  return page(
    ctx.chrome,
    { title: t("device.title"), error: failed ? t("device.wrong_code") : undefined },
    html`<p>${t("device.type_code")}</p>
${asHtml(localised)}
<button type="submit" form="op.deviceInputForm">${t("device.continue")}</button>`,
  );
}

export function deviceConfirmView(
  ctx: PageContext,
  form: string,
  { client, code }: { client: string; code: string },
): string {
  const t = oidcWords.in(ctx.lang);
  return page(
    ctx.chrome,
    { title: t("device.title") },
    html`<p>${t("device.confirm", { client, code })}</p>
${asHtml(form)}
<button type="submit" form="op.deviceConfirmForm">${t("device.continue")}</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary">${t("device.cancel")}</button>`,
  );
}

export function deviceDoneView(ctx: PageContext): string {
  const t = oidcWords.in(ctx.lang);
  return page(ctx.chrome, { title: t("device.done_title") }, html`<p>${t("device.done")}</p>`);
}

export function logoutView(ctx: PageContext, form: string): string {
  const t = oidcWords.in(ctx.lang);
  return page(
    ctx.chrome,
    { title: t("logout.title") },
    html`<p>${t("logout.ask", { brand: ctx.brand.name })}</p>
${asHtml(form)}
<button type="submit" form="op.logoutForm" value="yes" name="logout">${t("logout.yes")}</button>
<button type="submit" form="op.logoutForm" class="secondary">${t("logout.no")}</button>`,
  );
}

export function loggedOutView(ctx: PageContext): string {
  const t = oidcWords.in(ctx.lang);
  return page(ctx.chrome, { title: t("logout.done_title") }, html`<p>${t("logout.done")}</p>`);
}

function asHtml(markup: string): Html {
  return { html: markup } as Html;
}
