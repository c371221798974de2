/** RFC 5321 caps a forward path at 256 octets, so an address longer than 254 cannot be delivered. */
export const EMAIL_MAX_LENGTH = 254;

/**
 * What a mail parser reads as structure (RFC 5322 specials) or as a gap: in an
 * address, each one is a way to make one string mean another recipient.
 */
export const SPECIALS = /[\s<>()[\]",;:\\]/u;

/**
 * Characters nobody sees or a terminal acts on: controls (C0, C1), format
 * characters (zero-width, bidi overrides), lone surrogates, private-use and
 * unassigned code points, separators and other default-ignorables. In an
 * address they make look-alike accounts.
 */
export const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}\p{Default_Ignorable_Code_Point}]/u;

/**
 * Whether an address is safe to hand to SMTP: one mailbox however it is parsed.
 * Looser than assertValidEmail (a dotless domain passes), so accounts made
 * before the strict syntax still get their mail, unless theirs could be read
 * as someone else's.
 */
export function isMailableEmail(email: string): boolean {
  if (email.length === 0 || email.length > EMAIL_MAX_LENGTH) return false;
  return !HIDDEN.test(email) && !hasSpecials(email) && hasOneInnerAt(email);
}

/** Also once normalized: U+037E is a ";" after NFC, "＜" a "<" after NFKC. */
export function hasSpecials(email: string): boolean {
  return SPECIALS.test(email) || SPECIALS.test(email.normalize("NFKC"));
}

export function hasOneInnerAt(email: string): boolean {
  const at = email.indexOf("@");
  return at > 0 && at < email.length - 1 && email.indexOf("@", at + 1) === -1;
}
