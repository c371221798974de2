import type { AuthEventListener } from "./events.js";
import type { MailQueue } from "./mail-queue.js";
import type { PasswordHasher } from "./password.js";
import type { PasswordPolicy } from "./password-policy.js";
import type { AuthSettings } from "./settings.js";
import type { AuthStore } from "./store.js";
import type { LoginThrottle } from "./throttle.js";

/**
 * What Auth hands the flows it delegates to (password reset, password
 * change): its collaborators, so each flow lives in its own file without a
 * second copy of any of them.
 */
export interface FlowContext {
  store: AuthStore;
  settings: AuthSettings;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  throttle: LoginThrottle;
  mailQueue: MailQueue | undefined;
  now: () => Date;
  emit: AuthEventListener;
}
