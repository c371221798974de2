import { adminApi } from "../capabilities/admin-api/index.js";
import { audit } from "../capabilities/audit/index.js";
import { emailAddresses } from "../capabilities/email-addresses/index.js";
import { hostedPages } from "../capabilities/hosted-pages/index.js";
import { oidcProvider } from "../capabilities/oidc-provider/index.js";
import { passkeys } from "../capabilities/passkeys/index.js";
import { passwordReset } from "../capabilities/password-reset/index.js";
import { secondFactor } from "../capabilities/second-factor/index.js";
import { socialLogin } from "../capabilities/social-login/index.js";
import { webhooks } from "../capabilities/webhooks/index.js";

/**
 * Every capability of the service, each described by its folder's index.ts.
 * The service is built by loops over this list (app.ts, stores.ts, the CLI's
 * table): a new capability is a folder and a line here. The order is the
 * account page's order of sections and the help's order of commands.
 */
export const CAPABILITIES = [
  emailAddresses,
  secondFactor,
  passkeys,
  socialLogin,
  passwordReset,
  audit,
  adminApi,
  webhooks,
  oidcProvider,
  hostedPages,
] as const;
