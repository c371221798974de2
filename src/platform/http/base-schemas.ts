/**
 * What any string a client sends may hold: no C0 control character (NUL, tab,
 * CR and LF included), no DEL, no lone UTF-16 surrogate. PostgreSQL refuses NUL
 * in text (a 500), and a lone surrogate has no UTF-8 form: pg sends it as
 * U+FFFD, so two different strings became one stored email there while SQLite
 * kept them apart. Passwords too: no one types a control character into a
 * password box (tab moves the focus), and NUL is where C-string hashers stop.
 * Ajv compiles patterns with the `u` flag (its `unicodeRegExp` default), under
 * which a surrogate pair is one code point: only a lone half is in the range.
 */
export const PLAIN_TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f\\ud800-\\udfff]*$";

export const errorResponse = {
  type: "object",
  required: ["message"],
  properties: { message: { type: "string" }, error: { type: "string" } },
} as const;
