import type { StoredPasskey } from "./store.js";

/** A passkey as its user sees it: never key material. */
export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Synced to other devices (as its last use said). */
  backedUp: boolean;
}

export const PASSKEY_NAME_MAX_LENGTH = 64;

/**
 * A name as shown: no control character, no lone surrogate (PostgreSQL
 * refuses NUL; a lone surrogate has no UTF-8), trimmed, bounded; undefined when empty.
 */
export function cleanName(name: string | undefined): string | undefined {
  const printable = [...(name ?? "").toWellFormed()].filter(
    (char) => char >= " " && char !== "\u007f",
  );
  return printable.join("").trim().slice(0, PASSKEY_NAME_MAX_LENGTH) || undefined;
}

export function toInfo(passkey: Omit<StoredPasskey, "rowId">): PasskeyInfo {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt,
    lastUsedAt: passkey.lastUsedAt,
    backedUp: passkey.backedUp,
  };
}
