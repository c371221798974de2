import { type Html, html } from "../../platform/pages/html.js";

/**
 * A translated sentence with markup around some of its values: the message
 * is formatted with a marker for each (`\u0001name\u0001`), escaped as text,
 * and each marker then replaced by its Html. The catalogues stay plain text.
 */
const MARKER = "\u0001";
const MARKED = new RegExp(`${MARKER}([a-z_]+)${MARKER}`);

export function richText(text: string, parts: Readonly<Record<string, Html>>): Html {
  const pieces = text.split(MARKED);
  return html`${pieces.map((piece, index) =>
    index % 2 === 1 ? (parts[piece] ?? html``) : piece,
  )}`;
}
