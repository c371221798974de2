import { createRequire } from "node:module";
import { InvalidPasswordError } from "./errors.js";
import { BCRYPT_MAX_BYTES, fitsBcrypt, normalizePassword } from "./password.js";
import type { AuthSettings } from "./settings.js";

type PolicySettings = Pick<
  AuthSettings,
  "passwordHash" | "passwordMinLength" | "passwordMaxLength" | "passwordBlocklist"
>;

/** What the password must not be built from: the account's own email, say. */
export interface PasswordContext {
  email?: string | null;
}

/**
 * NIST 800-63B's rules (5.1.1.2) and nothing else: a length range counted in
 * characters of the NFKC form, no composition rules, and (when the blocklist is
 * on, as in production) no common password and no password made of the
 * account's own email. Every message says which rule failed.
 */
export class PasswordPolicy {
  readonly #settings: PolicySettings;

  constructor(settings: PolicySettings) {
    this.#settings = settings;
    // Loaded at start-up, not on the first registration's request path.
    if (settings.passwordBlocklist) commonPasswords();
  }

  /** @throws InvalidPasswordError naming the rule the password breaks. */
  assertAcceptable(password: string, context: PasswordContext = {}): void {
    const normalized = normalizePassword(password);
    const length = [...normalized].length;
    const { passwordMinLength, passwordMaxLength } = this.#settings;
    if (length < passwordMinLength) {
      throw new InvalidPasswordError(
        `password must be at least ${passwordMinLength} characters`,
        "too_short",
        passwordMinLength,
      );
    }
    if (length > passwordMaxLength) {
      throw new InvalidPasswordError(
        `password must be at most ${passwordMaxLength} characters`,
        "too_long",
        passwordMaxLength,
      );
    }
    if (this.#settings.passwordHash === "bcrypt" && !fitsBcrypt(normalized)) {
      throw new InvalidPasswordError(
        `password must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8 (bcrypt ignores the rest)`,
        "too_many_bytes",
        BCRYPT_MAX_BYTES,
      );
    }
    if (!this.#settings.passwordBlocklist) return;
    const folded = foldForBlocklist(normalized);
    if (commonPasswords().has(folded)) {
      throw new InvalidPasswordError(
        "password is one of the most common passwords; choose a less predictable one",
        "common",
      );
    }
    if (isBuiltFromEmail(folded, context.email)) {
      throw new InvalidPasswordError(
        "password must not be the account's email or its name part",
        "from_email",
      );
    }
  }
}

/**
 * zxcvbn-ts's "passwords-common" list (@zxcvbn-ts/language-common): about
 * 49,000 passwords ordered by how often they appear in public breach corpora,
 * lower case. Kept as a Set (O(1) lookup, ~3 MB) once the first policy wants it.
 */
let blocklist: Set<string> | undefined;

export function commonPasswords(): ReadonlySet<string> {
  if (!blocklist) {
    // Required (synchronously, ~25 ms) only when a policy has the blocklist on,
    // so development start-ups do not pay for it.
    const require = createRequire(import.meta.url);
    const { dictionary } = require("@zxcvbn-ts/language-common") as {
      dictionary: { "passwords-common": string[] };
    };
    blocklist = new Set(dictionary["passwords-common"]);
  }
  return blocklist;
}

/**
 * Compared as the list is written (lower case, no outer spaces): a space
 * around a common password (" password", "password ") adds nothing a guesser
 * would not try first. Inner runs count as one space, as a typist's slip.
 */
function foldForBlocklist(normalized: string): string {
  return normalized.trim().replaceAll(/\s+/gu, " ").toLowerCase();
}

/**
 * True when the password is the account's email in any spelling a guesser
 * would try: the address, the address without its top-level domain, the name
 * part (3+ characters) or the domain, compared on letters and digits only
 * (so "max@example", "max.example.com" and "MAX@EXAMPLE.COM" all count for
 * max@example.com) and with trailing digits ignored ("maxexample2024").
 */
function isBuiltFromEmail(folded: string, email: string | null | undefined): boolean {
  if (!email) return false;
  const address = email.normalize("NFKC").toLowerCase();
  const [name = "", domain = ""] = address.split("@");
  const withoutTld = `${name}@${domain.split(".").slice(0, -1).join(".")}`;
  const forms = new Set([alphanumeric(address), alphanumeric(withoutTld), alphanumeric(domain)]);
  if (alphanumeric(name).length >= 3) forms.add(alphanumeric(name));
  forms.delete("");
  const password = alphanumeric(folded);
  return forms.has(password) || forms.has(password.replace(/\d+$/u, ""));
}

function alphanumeric(text: string): string {
  return text.replaceAll(/[^\p{L}\p{N}]/gu, "");
}
