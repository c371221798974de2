/**
 * What a name shown to people (a client's on the consent page, an identity
 * provider's on the login buttons) must not hold: controls (C0, C1), lone
 * surrogates, private-use code points, line and paragraph separators, and
 * format characters: a bidi override reorders the words after it, so a
 * client named "\u202Eevil" reads otherwise on the consent page, and a
 * zero-width space makes a look-alike. The zero-width non-joiner and joiner,
 * which some scripts and emoji need, stay.
 */
const NOT_DISPLAYABLE = /[\p{Cc}\p{Cs}\p{Co}\p{Zl}\p{Zp}]|(?![\u200c\u200d])\p{Cf}/u;

export function isDisplayText(text: string): boolean {
  return !NOT_DISPLAYABLE.test(text);
}

/**
 * What a stored identifier or secret may hold (PLAIN_TEXT_PATTERN's rule for
 * request bodies, and C1 controls too): no control character, no lone
 * surrogate. PostgreSQL refuses NUL in text, and a lone surrogate has no
 * UTF-8 form.
 */
export function isPlainText(text: string): boolean {
  return !/\p{Cc}/u.test(text) && text.isWellFormed();
}
