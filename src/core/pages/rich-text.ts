import { type Html, html } from "../../platform/pages/html.js";

/**
 * A translated sentence with markup around some of its values: the message
 * is formatted with a marker for each (`\u0001name\u0001`), escaped as text,
 * and each marker then replaced by its Html. The catalogues stay plain text.
 */
export function richText(text: string, parts: Readonly<Record<string, Html>>): Html {
  const pieces = text.split(/\u0001([a-z_]+)\u0001/);
  return html`${pieces.map((piece, index) =>
    index % 2 === 1 ? (parts[piece] ?? html``) : piece,
  )}`;
}
