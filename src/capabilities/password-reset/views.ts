import type { PageContext } from "../../core/pages/page-context.js";
import { richText } from "../../core/pages/rich-text.js";
import {
  accountLinks,
  emailField,
  type FormState,
  field,
  options,
  usernameField,
} from "../../core/pages/views.js";
import { html, page } from "../../platform/pages/html.js";
import { resetWords } from "./words.js";

export function forgotView(ctx: PageContext, state: FormState & { resetLink?: string }): string {
  const t = resetWords.in(ctx.lang);
  const link = state.resetLink;
  return page(
    ctx.chrome,
    options(t("forgot.title"), state),
    html`${
      link
        ? html`<p>${richText(t("forgot.dev_link", { link: "\u0001link\u0001" }), {
            link: html`<a id="reset-link" href="${link}">${t("forgot.dev_link_text")}</a>`,
          })}</p>`
        : ""
    }
<form class="stacked" method="post" action="/account/forgot">
${emailField(ctx, state)}
<button type="submit">${t("forgot.submit")}</button>
</form>
${accountLinks(ctx, "/account/forgot")}`,
  );
}

/**
 * The reset form. The token names its account, so the form asks only for the
 * new password (the hidden token is all the server needs); `state.email`, the
 * account of a live token, is there for password managers alone.
 */
export function resetView(
  ctx: PageContext,
  state: FormState & { token: string },
  minLength: number,
): string {
  const t = resetWords.in(ctx.lang);
  return page(
    ctx.chrome,
    options(t("reset.title"), state),
    html`<form class="stacked" method="post" action="/account/reset">
<input type="hidden" name="reset_token" value="${state.token}">
${state.email === undefined ? "" : usernameField(state.email)}
${field(
  {
    name: "new_password",
    label: t("reset.new_password"),
    type: "password",
    autocomplete: "new-password",
    hintId: "password-hint",
  },
  state,
  "new_password",
)}
<p class="hint" id="password-hint">${t("reset.hint", { min: minLength })}</p>
<button type="submit">${t("reset.submit")}</button>
</form>
${accountLinks(ctx)}`,
  );
}

/** The reset page without a usable link: no form to fill in vain, a way to ask for a new link. */
export function resetLinkProblemView(ctx: PageContext, problem: "missing" | "invalid"): string {
  const t = resetWords.in(ctx.lang);
  const error = problem === "missing" ? t("problem.missing") : t("problem.invalid");
  return page(
    ctx.chrome,
    { title: t("reset.title"), error },
    html`<p><a href="/account/forgot">${t("problem.ask_new")}</a></p>
${accountLinks(ctx)}`,
  );
}
