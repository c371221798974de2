import Negotiator from "negotiator";

/** The languages of the hosted pages and mails; every catalogue has each. */
export const LANGUAGES = ["en", "de", "fr", "es"] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's name in itself, as the switcher shows it. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = {
  en: "English",
  de: "Deutsch",
  fr: "Français",
  es: "Español",
};

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The language to answer in: the one chosen on the pages (a cookie), else the
 * best of Accept-Language (RFC 9110 quality values, "de-AT" matching "de"),
 * else `fallback` (DEFAULT_LANGUAGE).
 */
export function negotiateLanguage(options: {
  chosen?: string | undefined;
  acceptLanguage?: string | undefined;
  fallback: Language;
}): Language {
  if (isLanguage(options.chosen)) return options.chosen;
  return acceptedLanguage(options.acceptLanguage) ?? options.fallback;
}

/**
 * The best of Accept-Language among LANGUAGES; undefined when it names none
 * of them. A wildcard ("*", what fetch sends by default) names no preference,
 * so it leads to DEFAULT_LANGUAGE rather than to the first language we have.
 */
export function acceptedLanguage(header: string | undefined): Language | undefined {
  if (!header) return undefined;
  const named = header
    .split(",")
    .filter((range) => range.split(";")[0]?.trim() !== "*")
    .join(",");
  if (named.trim() === "") return undefined;
  const [best] = new Negotiator({ headers: { "accept-language": named } }).languages([
    ...LANGUAGES,
  ]);
  return isLanguage(best) ? best : undefined;
}
