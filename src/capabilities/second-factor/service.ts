import type { Accounts } from "../../core/accounts.js";
import type { SecondFactors } from "./second-factor.js";

/** What the second factor's routes and pages use: the core's accounts, with this capability's flows. */
export type SecondFactorService = Accounts & {
  readonly secondFactors: SecondFactors;
  /** How many of each other kind of second factor the user has, by name (GET /mfa). */
  otherFactorCounts?(userId: number): Promise<Record<string, number>>;
};
