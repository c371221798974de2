/**
 * What a terminal acts on or a reader cannot see: controls (ESC, and the C1
 * CSI U+009B that starts an escape sequence on its own), format characters
 * (bidi overrides, zero-width), lone surrogates, private-use and unassigned
 * code points, line and paragraph separators, spaces other than U+0020 and
 * other default-ignorables. Stored values may hold any of them: accounts made
 * before the strict email syntax, user agents, forwarded addresses.
 */
const UNPRINTABLE =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]|[^\S ]/gu;

/** The backslash too, so an escape in the output always stands for a character escaped. */
const UNPRINTABLE_OR_BACKSLASH = new RegExp(`\\\\|${UNPRINTABLE.source}`, "gu");

/** Text for a terminal: each such character as \u{hex}, a backslash as \\. */
export function terminalText(text: string): string {
  return text.replaceAll(UNPRINTABLE_OR_BACKSLASH, (char) =>
    char === "\\" ? "\\\\" : `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`,
  );
}

/** Template tag: a line whose interpolated values go through terminalText. */
export function terminalLine(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += terminalText(String(value)) + (strings[index + 1] ?? "");
  });
  return out;
}

/**
 * JSON.stringify for a terminal. JSON escapes C0 controls and lone surrogates
 * but leaves C1, format characters and U+2028 raw; those become \uXXXX, so
 * the line parses back to the very same value.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value).replaceAll(UNPRINTABLE, (char) =>
    Array.from(
      { length: char.length },
      (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`,
    ).join(""),
  );
}
