import type { PageContext } from "../../core/pages/page-context.js";
import { type Html, html } from "../../platform/pages/html.js";
import type { Application } from "./applications.js";
import { oidcWords } from "./words.js";

/** What each scope lets an application see, in words. */
const SCOPE_WORDS = {
  openid: "applications.scope_openid",
  email: "applications.scope_email",
  offline_access: "applications.scope_offline_access",
} as const;

/**
 * /account's section: each application the user allowed (its name, what it
 * may see, since when) with a "Remove access" form (a plain POST: no script).
 */
export function applicationsSection(ctx: PageContext, applications: readonly Application[]): Html {
  const t = oidcWords.in(ctx.lang);
  const items = applications.map(
    ({ clientId, name, scopes, grantedAt }) => html`<li>
<p><strong>${name}</strong><br>
<span class="hint">${t("applications.since", { at: grantedAt })}</span></p>
<ul>
${scopes.map((scope) =>
  scope in SCOPE_WORDS ? html`<li>${t(SCOPE_WORDS[scope as keyof typeof SCOPE_WORDS])}</li>` : "",
)}
</ul>
<form class="stacked" method="post" action="/account/applications/${clientId}/remove">
<button type="submit" class="secondary">${t("applications.remove")}</button>
</form>
</li>`,
  );
  const list =
    applications.length === 0
      ? html`<p id="applications-none">${t("applications.none")}</p>`
      : html`<p class="hint">${t("applications.about")}</p>
<ul id="applications-list">
${items}
</ul>`;
  return html`<section id="applications" aria-labelledby="applications-heading">
<h2 id="applications-heading">${t("applications.heading")}</h2>
${list}
</section>`;
}
