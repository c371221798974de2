import type { Html } from "../../platform/pages/html.js";
import { type FormState, field } from "./views.js";

const CODE_PURPOSES = {
  recovery_codes_code: "for new recovery codes",
  mfa_off_code: "to turn it off",
  email_code: "to change the email",
  delete_code: "to delete the account",
} as const;

/**
 * The current code a change behind the second factor asks for beside the
 * password (a stolen session plus a phished password is not enough).
 */
export function factorCodeField(name: keyof typeof CODE_PURPOSES, state: FormState): Html {
  // Each form's own label: /account holds up to three of these fields.
  const purpose = CODE_PURPOSES[name];
  return field(
    {
      name,
      label: `A code from your authenticator app, or a recovery code, ${purpose}`,
      type: "text",
      autocomplete: "one-time-code",
      inputmode: "text",
    },
    state,
    undefined,
  );
}
