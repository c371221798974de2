import type { Accounts } from "../../core/accounts.js";
import type { EmailAddresses } from "./email-addresses.js";

/** What verified addresses's routes and pages use: the core's accounts, with this capability's flows. */
export type EmailAddressService = Accounts & { readonly emailAddresses: EmailAddresses };
