import { factorCodeField } from "../../core/pages/factor-code-field.js";
import type { PageContext } from "../../core/pages/page-context.js";
import { type FormState, field, usernameField } from "../../core/pages/views.js";
import { type Html, html, page } from "../../platform/pages/html.js";
import { hostedWords } from "./words.js";

/** /account's section: a copy of one's data, and the account's deletion, each behind a confirmation page. */
export function ownDataSection(ctx: PageContext): Html {
  const t = hostedWords.in(ctx.lang);
  return html`<h2>${t("data.heading")}</h2>
<p>${t("data.intro")}</p>
<div class="actions">
<form method="get" action="/account/export">
<button type="submit" class="secondary">${t("data.download")}</button>
</form>
<form method="get" action="/account/delete">
<button type="submit" class="secondary">${t("data.delete")}</button>
</form>
</div>`;
}

/** The export's confirmation: what the file holds, and the button that downloads it. */
export function exportView(ctx: PageContext): string {
  const t = hostedWords.in(ctx.lang);
  return page(
    ctx.chrome,
    { title: t("export.title") },
    html`<p>${t("export.what")}</p>
<form method="get" action="/profile/export">
<button type="submit">${t("export.submit")}</button>
</form>
<p><a href="/account">${t("export.back")}</a></p>`,
  );
}

/** The deletion's confirmation: what goes, and the password (and a code) that confirm it. */
export function deleteView(
  ctx: PageContext,
  state: FormState & { email: string; needsCode: boolean; extra?: readonly Html[] },
): string {
  const t = hostedWords.in(ctx.lang);
  return page(
    ctx.chrome,
    { title: t("delete.title"), error: state.error },
    html`<p><strong>${t("delete.warning")}</strong> ${t("delete.what")}</p>
<form class="stacked" method="post" action="/account/delete">
${usernameField(state.email)}
${field(
  {
    name: "delete_password",
    label: t("delete.password"),
    type: "password",
    autocomplete: "current-password",
  },
  state,
  "delete_password",
)}
${state.needsCode ? factorCodeField(ctx, "delete_code", state) : ""}
<button type="submit" class="danger">${t("delete.submit")}</button>
</form>
<p><a href="/account">${t("delete.keep")}</a></p>
${state.extra ?? []}`,
  );
}
