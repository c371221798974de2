import type { FlowContext } from "./flow-context.js";
import type { Reauthentication } from "./reauthentication.js";
import type { SecondFactorCodes } from "./second-factor-codes.js";
import type { SignIn } from "./sign-in.js";

/**
 * What Auth hands a capability that plugs into its core (passkeys): the
 * flows' context, the one way in to a session, the check before a sensitive
 * change, and the second factors, to which it adds its own kind.
 */
export interface AuthCore {
  flows: FlowContext;
  signIn: SignIn;
  reauthentication: Reauthentication;
  codes: SecondFactorCodes;
}

/** Called once Auth is built, with its core. */
export type PlugIn = (core: AuthCore) => void;
