import type { FlowContext } from "../../core/flow-context.js";
import type {
  AcceptedCode,
  SecondFactorFacts,
  SecondFactorGate,
  SecondFactorProof,
} from "../../core/second-step.js";
import type { SessionClient } from "../../core/session.js";
import type { Change } from "../../core/unit-of-work.js";
import type { User } from "../../core/user.js";
import type { SecretBox } from "../../platform/crypto/secret-box.js";
import { findRecoveryCode, normalizeRecoveryCode } from "./recovery-codes.js";
import type { SecondFactorStore } from "./store.js";
import { matchTotp } from "./totp.js";

export type { AcceptedCode } from "../../core/second-step.js";

/**
 * Checking a user's second-factor code, wherever one is asked: the login's
 * second step (SignIn) and a sensitive change (Reauthentication). Apart from
 * SecondFactors (setting a factor up and down), which itself needs
 * Reauthentication.
 */
export class SecondFactorCodes implements SecondFactorGate {
  readonly #ctx: FlowContext;
  readonly #store: SecondFactorStore;
  readonly #secretBox: (() => SecretBox) | undefined;

  constructor(ctx: FlowContext, store: SecondFactorStore, secretBox?: () => SecretBox) {
    this.#ctx = ctx;
    this.#store = store;
    this.#secretBox = secretBox;
  }

  /** True when a login or a sensitive change of this user needs a second factor. */
  async isOn(userId: number): Promise<boolean> {
    return (await this.#store.findTotpFactor(userId))?.enabledAt != null;
  }

  /**
   * Checks a code without using it up: a six-digit code against the TOTP
   * secret (one step of drift, no step twice), anything else as a recovery
   * code. Null when it is wrong, or not a typed code (another kind's proof,
   * such as a passkey assertion, is for that kind's gate: SecondFactorGates).
   */
  async check(userId: number, typed: SecondFactorProof): Promise<AcceptedCode | null> {
    if (typeof typed !== "string" || typed.trimStart().startsWith("{")) return null;
    const code = typed.trim();
    if (/^\d{6}$/.test(code)) {
      const factor = await this.#store.findTotpFactor(userId);
      if (factor?.enabledAt == null) return null;
      const secret = this.open(factor.secretSealed, userId);
      const step = matchTotp(secret, code, this.#ctx.now(), factor.lastUsedStep);
      if (step === null) return null;
      return { method: "totp", spend: () => this.#store.useTotpStep(userId, step) };
    }
    if (normalizeRecoveryCode(code) === null) return null;
    const stored = await this.#store.unusedRecoveryCodes(userId);
    if (stored.length === 0) return null;
    const salt = stored[0]?.salt ?? "";
    // scrypt: as costly as a password hash, so under the same limit (a flood
    // of recovery-code guesses must not starve logins of the thread pool).
    const hashes = stored.map((row) => row.hash);
    const index = await this.#ctx.hasher.limited(() => findRecoveryCode(code, salt, hashes));
    const match = stored[index];
    if (!match) return null;
    return {
      method: "recovery_code",
      spend: () => this.#store.useRecoveryCode(match.id, this.#ctx.now()),
    };
  }

  /** How many unused recovery codes the user has. */
  async recoveryCodesLeft(userId: number): Promise<number> {
    return (await this.#store.unusedRecoveryCodes(userId)).length;
  }

  /** What an operator sees: whether TOTP is on, and the recovery codes left. */
  async describe(userId: number): Promise<SecondFactorFacts> {
    return {
      totp: await this.isOn(userId),
      recoveryCodesLeft: await this.recoveryCodesLeft(userId),
    };
  }

  /**
   * An operator's reset: the TOTP factor and recovery codes go in the
   * change's transaction, audited (reset_by_operator), and the user is told.
   */
  async removeByOperator(
    user: Pick<User, "id" | "email">,
    change: Change,
    client: SessionClient,
  ): Promise<boolean> {
    if (!(await this.#store.deleteSecondFactor(user.id, change.tx))) return false;
    const { id: userId, email } = user;
    await change.report({
      type: "second_factor",
      action: "reset_by_operator",
      userId,
      email,
      client,
    });
    await change.mail("second_factor_removed", email, undefined, client.language);
    return true;
  }

  /** Seals a TOTP secret for this user. */
  seal(secret: string, userId: number): string {
    return this.#box().seal(secret, secretContext(userId));
  }

  /** Opens a sealed TOTP secret of this user. */
  open(sealed: string, userId: number): string {
    return this.#box().open(sealed, secretContext(userId)).toString("utf8");
  }

  #box(): SecretBox {
    if (!this.#secretBox) throw new Error("no SECRET_KEY: TOTP secrets cannot be sealed or opened");
    return this.#secretBox();
  }
}

/** Bound to the user: a sealed secret copied onto another user's row does not open. */
function secretContext(userId: number): string {
  return `totp-secret:${userId}`;
}
