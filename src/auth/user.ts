import { InvalidEmailError } from "./errors.js";

/** A registered user as the library hands it out: never with the password hash. */
export interface User {
  id: number;
  email: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A user row with its password hash, for the code that has to verify or replace it. */
export interface UserRecord extends User {
  hashedPassword: string;
}

/** RFC 5321 caps a forward path at 256 octets, so an address longer than 254 cannot be delivered. */
export const EMAIL_MAX_LENGTH = 254;

/**
 * The key that makes two spellings of one address one account: Unicode NFC then
 * lower case. Stored in its own uniquely indexed column so SQLite and PostgreSQL
 * agree on what "the same email" means (their own lower() functions do not).
 */
export function normalizeEmail(email: string): string {
  return email.normalize("NFC").toLowerCase();
}

/**
 * Accepts what a mail server would: one "@", something on each side, no spaces
 * or control characters, within the length limit. Deliverability is not checked.
 */
export function assertValidEmail(email: string): void {
  if (email.length === 0) throw new InvalidEmailError("email must not be empty");
  if (email.length > EMAIL_MAX_LENGTH) {
    throw new InvalidEmailError(`email must be at most ${EMAIL_MAX_LENGTH} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
  if (/[\s\u0000-\u001f\u007f]/u.test(email)) {
    throw new InvalidEmailError("email must not contain spaces or control characters");
  }
  const at = email.lastIndexOf("@");
  if (at <= 0 || at === email.length - 1 || email.indexOf("@") !== at) {
    throw new InvalidEmailError("email must look like name@domain");
  }
}

export function toPublicUser(record: UserRecord): User {
  return {
    id: record.id,
    email: record.email,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
