import { defineCatalogue } from "../../platform/i18n/catalogue.js";
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };

/** The hosted pages' own words: /account's data section and its confirmation pages. */
export const hostedWords = defineCatalogue("hosted-pages", en, { de, fr, es });
