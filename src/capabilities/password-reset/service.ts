import type { Accounts } from "../../core/accounts.js";
import type { PasswordResets } from "./password-reset.js";

/** What the password reset's routes and pages use: the core's accounts, with this capability's flows. */
export type PasswordResetService = Accounts & { readonly passwordResets: PasswordResets };
