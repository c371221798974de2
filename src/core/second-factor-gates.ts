import type {
  AcceptedCode,
  SecondFactorFacts,
  SecondFactorGate,
  SecondFactorProof,
} from "./second-step.js";
import type { SessionClient } from "./session.js";
import type { Change } from "./unit-of-work.js";
import type { User } from "./user.js";

/**
 * Every kind of second factor an account may have, as one gate: a factor is
 * on when any kind has one, and a proof is checked by each kind in turn (a
 * kind answers null to a proof that is not its own). Capabilities add their
 * kind once the service is built (TOTP first, then passkeys).
 */
export class SecondFactorGates implements SecondFactorGate {
  readonly #kinds: SecondFactorGate[];

  constructor(kinds: readonly SecondFactorGate[] = []) {
    this.#kinds = [...kinds];
  }

  add(kind: SecondFactorGate): void {
    this.#kinds.push(kind);
  }

  async isOn(userId: number): Promise<boolean> {
    for (const kind of this.#kinds) if (await kind.isOn(userId)) return true;
    return false;
  }

  async check(userId: number, proof: SecondFactorProof): Promise<AcceptedCode | null> {
    for (const kind of this.#kinds) {
      const accepted = await kind.check(userId, proof);
      if (accepted) return accepted;
    }
    return null;
  }

  async recoveryCodesLeft(userId: number): Promise<number> {
    let left = 0;
    for (const kind of this.#kinds) left += await kind.recoveryCodesLeft(userId);
    return left;
  }

  /** Every kind's facts, and `on`: whether a login needs a second factor. */
  async describe(userId: number): Promise<SecondFactorFacts> {
    const facts: Record<string, boolean | number> = { on: false };
    for (const kind of this.#kinds) {
      Object.assign(facts, await kind.describe?.(userId));
      if (await kind.isOn(userId)) facts.on = true;
    }
    return facts;
  }

  /** Every kind takes its factors off the account, in the one change. True when any was on. */
  async removeByOperator(
    user: Pick<User, "id" | "email">,
    change: Change,
    client: SessionClient,
  ): Promise<boolean> {
    let removed = false;
    for (const kind of this.#kinds)
      if (await kind.removeByOperator?.(user, change, client)) removed = true;
    return removed;
  }
}
