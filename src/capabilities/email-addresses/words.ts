import { defineCatalogue } from "../../platform/i18n/catalogue.js";
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };

/** Verified addresses' and email changes' words: their pages, banner, section and mails. */
export const emailWords = defineCatalogue("email-addresses", en, { de, fr, es });
