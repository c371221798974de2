import type { Capability } from "../../core/capability.js";
import { passwordResetPages } from "./pages.js";
import { resetPasswordRoutes } from "./routes.js";
import type { PasswordResetService } from "./service.js";

/** The password reset: /reset_password in the API, /account/forgot and /account/reset as pages. */
export const passwordReset: Capability<{ auth: PasswordResetService }> = {
  name: "password-reset",
  routes: (app, { auth }) => app.register(resetPasswordRoutes, { auth }),
  pages: (app, { auth }, { pages }) => app.register(passwordResetPages, { auth, pages }),
};
