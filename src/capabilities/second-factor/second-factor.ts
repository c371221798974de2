import { InvalidCodeError, SecondFactorStateError } from "../../core/errors.js";
import type { AuthEvent } from "../../core/events.js";
import type { FlowContext } from "../../core/flow-context.js";
import type { Reauthenticated, Reauthentication, SignedIn } from "../../core/reauthentication.js";
import type { SecondFactorProof } from "../../core/second-step.js";
import type { SessionClient } from "../../core/session.js";
import { hashRecoveryCodes, newRecoveryCodes } from "./recovery-codes.js";
import type { AcceptedCode, SecondFactorCodes } from "./second-factor-codes.js";
import type { SecondFactorStore } from "./store.js";
import { matchTotp, newTotpSecret, totpUri } from "./totp.js";

export interface SecondFactorStatus {
  totp: boolean;
  recoveryCodesLeft: number;
}

export type { Reauthenticated } from "../../core/reauthentication.js";
export type { AcceptedCode } from "./second-factor-codes.js";

/**
 * Two-factor authentication with TOTP and recovery codes: setting it up,
 * confirming, turning it off, new codes, and checking a code for the login's
 * second step (sign-in.ts). The TOTP secret is kept sealed (AES-256-GCM under
 * SECRET_KEY, bound to the user's id); recovery codes only as scrypt hashes.
 */
export class SecondFactors {
  readonly #ctx: FlowContext;
  readonly #store: SecondFactorStore;
  readonly #reauthentication: Reauthentication;
  readonly #codes: SecondFactorCodes;

  constructor(
    ctx: FlowContext,
    dependencies: {
      store: SecondFactorStore;
      reauthentication: Reauthentication;
      codes: SecondFactorCodes;
    },
  ) {
    this.#ctx = ctx;
    this.#store = dependencies.store;
    this.#reauthentication = dependencies.reauthentication;
    this.#codes = dependencies.codes;
  }

  /** True when a login of this user needs a second factor. */
  isOn(userId: number): Promise<boolean> {
    return this.#codes.isOn(userId);
  }

  /** The factor as the user's own export shows it: its state and dates, never the secret or a code. */
  async exportOf(userId: number): Promise<Record<string, unknown>> {
    const factor = await this.#store.findTotpFactor(userId);
    const codes = factor?.enabledAt ? await this.#store.unusedRecoveryCodes(userId) : [];
    return {
      totp: factor === null ? "off" : factor.enabledAt === null ? "set_up_not_confirmed" : "on",
      totp_enabled_at: factor?.enabledAt?.toISOString() ?? null,
      recovery_codes_left: codes.length,
    };
  }

  async status(userId: number): Promise<SecondFactorStatus> {
    const factor = await this.#store.findTotpFactor(userId);
    if (factor?.enabledAt == null) return { totp: false, recoveryCodesLeft: 0 };
    const codes = await this.#store.unusedRecoveryCodes(userId);
    return { totp: true, recoveryCodesLeft: codes.length };
  }

  /**
   * A new TOTP secret for the user, waiting for confirmation (an earlier
   * unconfirmed one is replaced). Logins do not change until it is confirmed.
   * @throws SecondFactorStateError when a factor is on already.
   */
  async beginTotpSetup(current: SignedIn): Promise<{ secret: string; otpauthUri: string }> {
    const { id: userId, email } = current.user;
    const secret = newTotpSecret();
    const sealed = this.#codes.seal(secret, userId);
    if (!(await this.#store.savePendingTotpFactor(userId, sealed, this.#ctx.now()))) {
      throw new SecondFactorStateError("mfa_already_enabled");
    }
    const otpauthUri = totpUri(secret, { issuer: this.#ctx.settings.totpIssuer, account: email });
    return { secret, otpauthUri };
  }

  /**
   * Turns the pending factor on when the password is the current one and the
   * code is right for the pending secret; returns the recovery codes, shown
   * this once.
   * @throws InvalidCodeError (wrong code), SecondFactorStateError (nothing
   *   pending, or on already), LoginThrottledError.
   */
  async confirmTotp(
    current: SignedIn,
    code: string,
    password: string,
    client: SessionClient,
  ): Promise<Reauthenticated<string[]>> {
    const { id: userId, email } = current.user;
    const check = await this.#reauthentication.check(current, password, client);
    if (check !== "confirmed") return { outcome: check };
    const factor = await this.#store.findTotpFactor(userId);
    if (!factor) throw new SecondFactorStateError("mfa_not_enabled");
    if (factor.enabledAt) throw new SecondFactorStateError("mfa_already_enabled");
    const step = matchTotp(
      this.#codes.open(factor.secretSealed, userId),
      code.trim(),
      this.#ctx.now(),
      null,
    );
    if (step === null)
      throw new InvalidCodeError("wrong code: check the device's clock and try the current code");
    const codes = newRecoveryCodes();
    // Hashed before the transaction: a unit of work holds only its own statements.
    const hashes = await this.#ctx.hasher.limited(() => hashRecoveryCodes(codes), "other");
    // The factor on, its audit row and the notice: all or none.
    const enabled = await this.#ctx.changes.run(async (change) => {
      const now = this.#ctx.now();
      const { secretSealed } = factor;
      if (!(await this.#store.enableTotpFactor(userId, secretSealed, step, hashes, now, change.tx)))
        return false;
      await change.report({ type: "second_factor", action: "enabled", userId, email, client });
      await change.mail("second_factor_added", email, undefined, client.language);
      return true;
    });
    // Turned on meanwhile, or replaced by a new setup: the code was for another secret.
    if (!enabled) throw new InvalidCodeError("this setup was replaced: start it again");
    // After the commit: a throttling store that is down must not turn it into an error.
    await this.#ctx.changes.afterCommit("forget the session's wrong passwords", () =>
      this.#reauthentication.succeeded(current),
    );
    return { outcome: "done", value: codes };
  }

  /**
   * Turns the factor off (the TOTP secret and the recovery codes go) after
   * the current password and a current code of the factor itself.
   * @throws SecondFactorStateError when none is on; LoginThrottledError.
   */
  async disable(
    current: SignedIn,
    password: string,
    client: SessionClient,
    code?: SecondFactorProof,
  ): Promise<Reauthenticated<null>> {
    const { id: userId, email } = current.user;
    return this.#reauthentication.guard(current, { password, code }, client, async () => {
      const wasOn = await this.#deleteFactor(userId, email, {
        type: "second_factor",
        action: "disabled",
        userId,
        email,
        client,
      });
      if (!wasOn) throw new SecondFactorStateError("mfa_not_enabled");
      return null;
    });
  }

  /**
   * Ten new recovery codes in place of the old ones, after the current
   * password and a current code (TOTP, or one of the old recovery codes).
   * @throws SecondFactorStateError when no factor is on; LoginThrottledError.
   */
  async renewRecoveryCodes(
    current: SignedIn,
    password: string,
    client: SessionClient,
    code?: SecondFactorProof,
  ): Promise<Reauthenticated<string[]>> {
    const { id: userId, email } = current.user;
    return this.#reauthentication.guard(current, { password, code }, client, async () => {
      const codes = newRecoveryCodes();
      // Hashed before the transaction: a unit of work holds only its own statements.
      const hashes = await this.#ctx.hasher.limited(() => hashRecoveryCodes(codes), "other");
      // The new codes and their audit row: all or none.
      const replaced = await this.#ctx.changes.run(async (change) => {
        const now = this.#ctx.now();
        if (!(await this.#store.replaceRecoveryCodes(userId, hashes, now, change.tx))) return false;
        const action = "recovery_codes_renewed";
        await change.report({ type: "second_factor", action, userId, email, client });
        return true;
      });
      if (!replaced) throw new SecondFactorStateError("mfa_not_enabled");
      return codes;
    });
  }

  /**
   * An operator's reset of TOTP alone, for a user who lost the device and the
   * codes: the factor goes, audited, and the user is told by mail. (The CLI's
   * and the admin API's reset take every kind: Accounts.resetSecondFactorsByOperator.)
   * @returns true when one was on, false when none was, null when no user has the email.
   */
  async resetByOperator(email: string, client: SessionClient): Promise<boolean | null> {
    const user = await this.#ctx.store.findUser({ email });
    if (!user) return null;
    return this.#ctx.changes.run((change) => this.#codes.removeByOperator(user, change, client));
  }

  /**
   * Deletes the user's factor and, when one was on, writes the event's rows
   * and queues the notice to `email`, in one transaction. True when one was
   * on. When none was, the transaction still commits what the store deleted
   * (a pending setup, pending email changes), as before: nothing to report.
   */
  #deleteFactor(
    userId: number,
    email: string,
    event: Extract<AuthEvent, { type: "second_factor" }>,
  ): Promise<boolean> {
    return this.#ctx.changes.run(async (change) => {
      if (!(await this.#store.deleteSecondFactor(userId, change.tx))) return false;
      await change.report(event);
      await change.mail("second_factor_removed", email, undefined, event.client?.language);
      return true;
    });
  }

  /** Checks a code for the second step without using it up (see SecondFactorCodes.check). */
  check(userId: number, typed: SecondFactorProof): Promise<AcceptedCode | null> {
    return this.#codes.check(userId, typed);
  }

  /** How many unused recovery codes the user has. */
  recoveryCodesLeft(userId: number): Promise<number> {
    return this.#codes.recoveryCodesLeft(userId);
  }
}
