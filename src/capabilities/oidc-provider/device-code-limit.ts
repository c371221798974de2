import { AddressLimit } from "../../core/address-limit.js";
import { ThrottledError } from "../../core/errors.js";
import type { AuthSettings } from "../../core/settings.js";
import type { ThrottleStore } from "../../core/throttle.js";

type DeviceCodeLimitPolicy = Pick<
  AuthSettings,
  "deviceCodeEntriesMaxPerIp" | "deviceCodeEntriesWindow"
>;

/** Too many device codes sent from this address within the window. */
export class DeviceCodeEntriesThrottledError extends ThrottledError {
  constructor(retryAfterMs: number) {
    super("too many device codes tried; try again later", retryAfterMs);
  }
}

/**
 * Caps the device page's form posts (a code typed, or its confirmation) one
 * client address may send in a fixed window. A user code is short enough to
 * type, so guesses must be slowed (RFC 8628, section 5.1): whoever guesses
 * a code that someone's device shows can connect that device to their own
 * account, or refuse it. A person sends two or three a device.
 */
export class DeviceCodeEntryLimit extends AddressLimit {
  constructor(store: ThrottleStore, policy: DeviceCodeLimitPolicy) {
    super(store, {
      name: "device-code-ip",
      max: policy.deviceCodeEntriesMaxPerIp,
      windowMs: policy.deviceCodeEntriesWindow,
      refuse: (retryAfterMs) => new DeviceCodeEntriesThrottledError(retryAfterMs),
    });
  }
}
