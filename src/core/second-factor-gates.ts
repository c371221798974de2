import type { AcceptedCode, SecondFactorGate, SecondFactorProof } from "./second-step.js";

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
}
