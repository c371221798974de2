import type { Html } from "../../platform/pages/html.js";
import type { PageContext } from "./page-context.js";
import { type FormState, field } from "./views.js";

/** The fields that ask for a current code, each with its own label (the catalogue's code.label selects by name). */
export type CodeFieldName = "recovery_codes_code" | "mfa_off_code" | "email_code" | "delete_code";

/**
 * The current code a change behind the second factor asks for beside the
 * password (a stolen session plus a phished password is not enough).
 */
export function factorCodeField(ctx: PageContext, name: CodeFieldName, state: FormState): Html {
  // Each form's own label: /account holds up to three of these fields.
  return field(
    {
      name,
      label: ctx.t("code.label", { purpose: name }),
      type: "text",
      autocomplete: "one-time-code",
      inputmode: "text",
    },
    state,
    undefined,
  );
}
