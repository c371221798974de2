import type { FlowContext } from "./flow-context.js";
import type { Reauthentication } from "./reauthentication.js";
import type { SecondFactorGate } from "./second-step.js";
import type { SignIn } from "./sign-in.js";

/**
 * What the core hands a capability that adds a way in or a kind of second
 * factor (passkeys): the flows' context, the one way in to a session, the
 * check before a sensitive change, and the account's second factors.
 */
export interface AuthCore {
  flows: FlowContext;
  signIn: SignIn;
  reauthentication: Reauthentication;
  factors: SecondFactorGate;
}
