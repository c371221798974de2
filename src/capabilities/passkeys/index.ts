import type { PlugIn } from "../../auth/auth-core.js";
import { Passkeys } from "./passkeys.js";
import type { PasskeySettings } from "./settings.js";
import type { PasskeyStore } from "./store.js";

export { KyselyPasskeyStore } from "./kysely-passkey-store.js";
export { type PasskeyInfo, Passkeys } from "./passkeys.js";
export {
  type PasskeyConfig,
  type PasskeySettings,
  passkeySettings,
  resolvePasskeyConfig,
} from "./settings.js";
export type { PasskeyStore } from "./store.js";

/**
 * The passkeys capability, as the service is built from it: the plug-in Auth
 * hands its core to (passkeys then count as a second factor, and sign in
 * through SignIn), and the domain object made then. Its routes, pages and
 * script are registered by buildApp (routes.ts, pages.ts).
 */
export interface PasskeysCapability {
  plugIn: PlugIn;
  /** The domain object; there once Auth is built with `plugIn`. */
  readonly passkeys: Passkeys;
}

export function passkeysCapability(dependencies: {
  store: PasskeyStore;
  settings: PasskeySettings;
}): PasskeysCapability {
  let made: Passkeys | undefined;
  return {
    plugIn: (core) => {
      made = new Passkeys(core, dependencies);
    },
    get passkeys(): Passkeys {
      if (!made) throw new Error("passkeys: Auth was not built with this capability's plug-in");
      return made;
    },
  };
}
