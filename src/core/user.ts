import { domainToASCII, domainToUnicode } from "node:url";
import { EMAIL_MAX_LENGTH, HIDDEN, hasOneInnerAt, hasSpecials } from "../platform/mail/mailable.js";
import { InvalidEmailError } from "./errors.js";

export { EMAIL_MAX_LENGTH, isMailableEmail } from "../platform/mail/mailable.js";

/** A registered user as the library hands it out: never with the password hash. */
export interface User {
  id: number;
  email: string;
  createdAt: Date;
  updatedAt: Date;
  /** When the address was last proven (a verification link, a mailed reset, a confirmed change); null: never. */
  emailVerifiedAt: Date | null;
}

/**
 * A user row with its password hash, for the code that has to verify or
 * replace it. Null: the account has no password (it signs in another way);
 * every password check then fails, in the time a wrong password takes.
 */
export interface UserRecord extends User {
  hashedPassword: string | null;
}

/**
 * The key that makes two spellings of one address one account: Unicode NFC then
 * lower case. Stored in its own uniquely indexed column so SQLite and PostgreSQL
 * agree on what "the same email" means (their own lower() functions do not).
 *
 * NUL and lone surrogates become U+FFFD: no account can hold them (the email
 * syntax refuses them), but a lookup, a throttle key or an audit row made
 * from such input must still reach the database as text it can store:
 * PostgreSQL refuses NUL with an error.
 */
export function normalizeEmail(email: string): string {
  return email.toWellFormed().replaceAll("\u0000", "\ufffd").normalize("NFC").toLowerCase();
}

/** Dot-separated atoms: no leading, trailing or doubled dot. */
const DOT_ATOM = /^[^.]+(?:\.[^.]+)*$/u;

/** An ASCII host label (RFC 1123): letters, digits, inner hyphens, at most 63. */
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The syntax a new account's address must have. Stricter than RFC 5321 on
 * purpose: no quoted local parts, comments, address literals or dotless
 * domains, so nodemailer, an MTA and a person reading it all see the same
 * single mailbox. Internationalized domains are accepted in their Unicode
 * form only (as UTS #46 maps them), so one mailbox has one spelling and one
 * reset quota; an xn-- spelling or one that does not convert is refused.
 */
export function assertValidEmail(email: string): void {
  if (email.length === 0) throw new InvalidEmailError("email must not be empty", "empty");
  if (email.length > EMAIL_MAX_LENGTH) {
    throw new InvalidEmailError(
      `email must be at most ${EMAIL_MAX_LENGTH} characters`,
      "too_long",
      EMAIL_MAX_LENGTH,
    );
  }
  if (hasSpecials(email)) {
    throw new InvalidEmailError(
      'email must not contain spaces or any of < > ( ) [ ] " , ; : \\',
      "characters",
    );
  }
  if (HIDDEN.test(email)) {
    throw new InvalidEmailError(
      "email must not contain control, invisible or unassigned characters",
      "hidden",
    );
  }
  const [local, domain] = splitAddress(email);
  if (!DOT_ATOM.test(local)) {
    throw new InvalidEmailError(
      "email name part must not start or end with a dot or have two in a row",
      "syntax",
    );
  }
  assertValidDomain(domain);
}

function splitAddress(email: string): [string, string] {
  if (!hasOneInnerAt(email))
    throw new InvalidEmailError("email must look like name@domain", "syntax");
  const at = email.indexOf("@");
  return [email.slice(0, at), email.slice(at + 1)];
}

function assertValidDomain(domain: string): void {
  const ascii = domainToASCII(domain);
  const unicode = domainToUnicode(ascii);
  // A spelling that maps elsewhere (fullwidth letters, xn--, 0x7f.1) would be a
  // second account for the same mailbox.
  if (
    ascii === "" ||
    unicode !== domain.normalize("NFC").toLowerCase() ||
    /(?:^|\.)xn--/.test(unicode)
  ) {
    throw new InvalidEmailError(
      "email domain must be spelled as itself: no xn-- form, no characters that map to others",
      "domain",
    );
  }
  const labels = ascii.split(".");
  const last = labels[labels.length - 1] ?? "";
  if (
    labels.length < 2 ||
    ascii.length > 253 ||
    !labels.every((label) => HOST_LABEL.test(label)) ||
    /^\d+$/.test(last)
  ) {
    throw new InvalidEmailError(
      "email domain must be a name such as example.com: dot-separated letters, digits and hyphens",
      "domain",
    );
  }
}

export function toPublicUser(record: UserRecord): User {
  return {
    id: record.id,
    email: record.email,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    emailVerifiedAt: record.emailVerifiedAt,
  };
}
