import { AddressLimit } from "../../core/address-limit.js";
import { ThrottledError } from "../../core/errors.js";
import type { AuthSettings } from "../../core/settings.js";
import type { ThrottleStore } from "../../core/throttle.js";

type OptionsLimitPolicy = Pick<AuthSettings, "passkeyOptionsMaxPerIp" | "passkeyOptionsWindow">;

/** Too many passkey sign-in options asked from this address within the window. */
export class PasskeyOptionsThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many passkey sign-in requests; try again later", retryAfterMs);
  }
}

/**
 * Caps the passkey sign-in options one client address may ask for in a fixed
 * window. The route needs no account, and each answer is a stored challenge
 * (a row until it is used or expires): without a cap one address could fill
 * the table.
 */
export class PasskeyOptionsLimit extends AddressLimit {
  constructor(store: ThrottleStore, policy: OptionsLimitPolicy) {
    super(store, {
      name: "passkey-options-ip",
      max: policy.passkeyOptionsMaxPerIp,
      windowMs: policy.passkeyOptionsWindow,
      refuse: (retryAfterMs) => new PasskeyOptionsThrottledError(retryAfterMs),
    });
  }
}
