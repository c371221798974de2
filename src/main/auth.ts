import { EmailAddresses } from "../capabilities/email-addresses/email-addresses.js";
import type { EmailTokenStore } from "../capabilities/email-addresses/store.js";
import { DeviceCodeEntryLimit } from "../capabilities/oidc-provider/device-code-limit.js";
import { PasskeyOptionsLimit } from "../capabilities/passkeys/options-limit.js";
import { Passkeys } from "../capabilities/passkeys/passkeys.js";
import type { PasskeySettings } from "../capabilities/passkeys/settings.js";
import type { PasskeyStore } from "../capabilities/passkeys/store.js";
import { PasswordResets } from "../capabilities/password-reset/password-reset.js";
import type { ResetTokenStore } from "../capabilities/password-reset/store.js";
import { SecondFactors } from "../capabilities/second-factor/second-factor.js";
import { SecondFactorCodes } from "../capabilities/second-factor/second-factor-codes.js";
import type { SecondFactorStore } from "../capabilities/second-factor/store.js";
import { ProviderRegistry } from "../capabilities/social-login/providers.js";
import { SocialLogin } from "../capabilities/social-login/social-login.js";
import type { SocialStore } from "../capabilities/social-login/store.js";
import { Upstream } from "../capabilities/social-login/upstream.js";
import { Accounts, type CoreDependencies, openCore } from "../core/accounts.js";
import { ResetRequestLimit } from "../core/mail-request-limit.js";
import { Reauthentication } from "../core/reauthentication.js";
import { SecondFactorGates } from "../core/second-factor-gates.js";
import type { SecondFactorGate } from "../core/second-step.js";
import type { SessionClient } from "../core/session.js";
import type { SecretBox } from "../platform/crypto/secret-box.js";
import { checkedFetch } from "../platform/net/checked-fetch.js";
import { type HostResolver, systemResolver } from "../platform/net/checked-lookup.js";
import { OutboundTargetPolicy } from "../platform/net/target-policy.js";

export type { LoginResult } from "../core/accounts.js";

/** The capabilities' own stores (createAuth makes them over the same database). */
export interface CapabilityStores {
  secondFactors: SecondFactorStore;
  passkeys: PasskeyStore;
  emailTokens: EmailTokenStore;
  resetTokens: ResetTokenStore;
  social: SocialStore;
}

export interface AuthDependencies extends CoreDependencies {
  stores: CapabilityStores;
  /** The relying party of passkeys (their store is in `stores`); without it, no passkeys. */
  passkeys?: { settings: PasskeySettings };
  /**
   * Seals and opens TOTP secrets (AES-256-GCM under SECRET_KEY); called only
   * when one is set up or checked. createAuth() provides it.
   */
  secretBox?: () => SecretBox;
  /** Where identity providers may be although internal, and who resolves their names. */
  social?: SocialOutboundOptions;
}

/** SOCIAL_ALLOWED_HOSTS, and a resolver in place of the system's (tests). */
export interface SocialOutboundOptions {
  allowedHosts?: readonly string[] | undefined;
  resolve?: HostResolver | undefined;
}

/**
 * The library's one object: accounts and sessions (the core), with the
 * capabilities that plug into its ways in (the second factor, verified
 * addresses) and the password reset, under the original's method names.
 */
export class Auth extends Accounts {
  /** Two-factor authentication of a signed-in user: set up, confirm, status, turn off, new codes. */
  readonly secondFactors: SecondFactors;
  /** Verified addresses and email changes (EMAIL_VERIFICATION). */
  readonly emailAddresses: EmailAddresses;
  /** Password resets; the facade's reset methods below are the usual way in. */
  readonly passwordResets: PasswordResets;
  /** Whether a user has a second factor, and checking its codes (what the core's ways in ask). */
  readonly secondFactorGate: SecondFactorGate;
  /** Passkeys (WebAuthn): options, registration, sign-in, list, rename, remove; with `passkeys` only. */
  readonly passkeys: Passkeys | undefined;
  /** Sign in with another identity provider: providers, the flow, linked identities. */
  readonly socialLogin: SocialLogin;
  /** The OpenID provider's device page: codes typed per client address (DEVICE_CODE_ENTRIES_MAX_PER_IP). */
  readonly deviceCodeEntries: DeviceCodeEntryLimit;

  constructor(dependencies: AuthDependencies) {
    const core = openCore(dependencies);
    const { flows, store, settings, counters } = core;
    const { stores } = dependencies;
    const codes = new SecondFactorCodes(flows, stores.secondFactors, dependencies.secretBox);
    // Every kind of second factor, as one: TOTP and recovery codes, then passkeys.
    const factors = new SecondFactorGates([codes]);
    const reauthentication = new Reauthentication(flows, factors);
    const emailAddresses = new EmailAddresses(flows, {
      tokens: stores.emailTokens,
      reauthentication,
      limit: new ResetRequestLimit(counters, settings, "verify"),
      changeLimit: new ResetRequestLimit(counters, settings, "change"),
    });
    super(core, {
      factors,
      challenges: store.mfaChallenges,
      verification: emailAddresses,
      reauthentication,
      onRegistered: (user, change, client) => emailAddresses.registered(user, change, client),
    });
    this.emailAddresses = emailAddresses;
    this.secondFactorGate = factors;
    const { passkeys } = dependencies;
    this.passkeys = passkeys
      ? new Passkeys(this.core, {
          store: stores.passkeys,
          settings: passkeys.settings,
          optionsLimit: new PasskeyOptionsLimit(counters, settings),
        })
      : undefined;
    if (this.passkeys) factors.add(this.passkeys.secondFactor);
    this.secondFactors = new SecondFactors(flows, {
      store: stores.secondFactors,
      reauthentication,
      codes,
    });
    const secretBox =
      dependencies.secretBox ??
      (() => {
        throw new Error("social login seals secrets: give Auth a secretBox (SECRET_KEY)");
      });
    const development = settings.mode !== "production";
    // Providers' endpoints are reached like webhooks: never an internal address unless listed.
    const policy = new OutboundTargetPolicy({
      mode: settings.mode,
      allowedHosts: dependencies.social?.allowedHosts,
      setting: "SOCIAL_ALLOWED_HOSTS",
    });
    const resolve = dependencies.social?.resolve ?? systemResolver;
    this.socialLogin = new SocialLogin(this.core, {
      store: stores.social,
      providers: new ProviderRegistry({
        store: stores.social,
        secretBox,
        now: flows.now,
        development,
        policy,
        resolve,
      }),
      upstream: new Upstream({ development, fetch: checkedFetch(policy, resolve) }),
      secretBox,
      passkeyCount: async (userId) => (this.passkeys ? this.passkeys.count(userId) : 0),
    });
    this.deviceCodeEntries = new DeviceCodeEntryLimit(counters, settings);
    this.passwordResets = new PasswordResets(
      flows,
      new ResetRequestLimit(counters, settings),
      stores.resetTokens,
    );
  }

  /**
   * Issues a reset token for the email; earlier live ones stay valid until one
   * of them is used. It expires after the configured lifetime and works once.
   * This is development mode's path (the token goes back to the caller);
   * production uses requestPasswordReset, which mails it.
   * @throws UnknownEmailError when no user has this email.
   */
  getResetPasswordToken(email: string, client: SessionClient = {}): Promise<string> {
    return this.passwordResets.getResetPasswordToken(email, client);
  }

  /**
   * Asks for a reset link to be mailed to this email, and answers the same way
   * whether or not it is registered (see PasswordResets).
   * @throws InvalidEmailError, or ResetThrottledError past a reset limit.
   */
  requestPasswordReset(email: string, client: SessionClient = {}): Promise<void> {
    return this.passwordResets.requestPasswordReset(email, client);
  }

  /**
   * Makes a new reset token for the email's user, or null when none has it.
   * Emits nothing. `mailed`: it goes out by mail (the outbox), so completing
   * the reset proves the address.
   */
  issueResetToken(
    email: string,
    options: { mailed?: boolean } = {},
  ): Promise<{ token: string; userId: number; email: string } | null> {
    return this.passwordResets.issueResetToken(email, options);
  }

  /**
   * Sets a new password with a reset token, consumes the token (voiding the
   * user's other ones) and ends every session of the user. With `email`, the
   * token must have been issued to it.
   * @throws InvalidResetTokenError (unknown, used, expired, or another email's)
   *   or InvalidPasswordError; nothing is written when it throws.
   */
  updatePassword(
    resetToken: string,
    password: string,
    options: { email?: string; client?: SessionClient } = {},
  ): Promise<void> {
    return this.passwordResets.updatePassword(resetToken, password, options);
  }

  /** How many of each kind of second factor other than TOTP the user has (GET /mfa). */
  async otherFactorCounts(userId: number): Promise<Record<string, number>> {
    return this.passkeys ? { passkeys: await this.passkeys.count(userId) } : {};
  }

  override async purgeExpired(): Promise<void> {
    await super.purgeExpired();
    await this.passkeys?.purgeExpired();
    await this.passwordResets.purgeExpired();
    await this.emailAddresses.purgeExpired();
    await this.socialLogin.purgeExpired();
  }
}
