import { defineCatalogue } from "../../platform/i18n/catalogue.js";
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };

/** The password reset's words: its two pages and its mail. */
export const resetWords = defineCatalogue("password-reset", en, { de, fr, es });
