import { IntlMessageFormat } from "intl-messageformat";
import type { Language } from "./languages.js";

/**
 * Messages in ICU MessageFormat (the syntax of FormatJS, ICU4J, Crowdin,
 * Lokalise ...), one JSON object per language: key -> message. Plurals,
 * selects, numbers and dates are formatted by intl-messageformat over Intl.
 */
export type Messages<Key extends string> = Readonly<Record<Key, string>>;

/** What a message may be given: text, numbers, dates. */
export type MessageValues = Readonly<Record<string, string | number | Date>>;

/** A message of one catalogue, in one language. */
export type Translate<Key extends string> = (key: Key, values?: MessageValues) => string;

/** Marks a key a language lacks (the types prevent it; a test looks for the mark on every page). */
export const MISSING_MARK = "\u27e6";

/** The named date formats messages use: `{at, date, utc}`. */
const FORMATS = {
  date: {
    utc: { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" },
    day: { dateStyle: "long", timeZone: "UTC" },
  },
} as const;

/**
 * One catalogue: its messages in every language. English gives the keys; a
 * language without one of them does not compile (defineCatalogue), and the
 * catalogue test finds unused keys and messages that do not parse.
 */
export class Catalogue<Key extends string> {
  readonly name: string;
  readonly messages: Readonly<Record<Language, Messages<Key>>>;
  readonly #compiled = new Map<string, IntlMessageFormat>();

  constructor(name: string, messages: Readonly<Record<Language, Messages<Key>>>) {
    this.name = name;
    this.messages = messages;
  }

  format(language: Language, key: Key, values?: MessageValues): string {
    const id = `${language}\u0000${key}`;
    let compiled = this.#compiled.get(id);
    if (!compiled) {
      const message = this.messages[language][key] as string | undefined;
      if (message === undefined) return `${MISSING_MARK}${this.name}:${key}\u27e7`;
      // Tags are text here: the pages escape what they show.
      compiled = new IntlMessageFormat(message, language, FORMATS, { ignoreTag: true });
      this.#compiled.set(id, compiled);
    }
    return String(compiled.format(values as Record<string, string | number | Date> | undefined));
  }

  /** The catalogue's messages in one language. */
  in(language: Language): Translate<Key> {
    return (key, values) => this.format(language, key, values);
  }
}

/**
 * A catalogue from its JSON files: English gives the keys, and each other
 * language must have exactly those (a missing one is a type error here).
 */
export function defineCatalogue<Key extends string>(
  name: string,
  en: Messages<Key>,
  others: Readonly<Record<Exclude<Language, "en">, Messages<NoInfer<Key>>>>,
): Catalogue<Key> {
  return new Catalogue<Key>(name, { en, ...others });
}
