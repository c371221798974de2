import { defineCatalogue } from "../../platform/i18n/catalogue.js";
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };

/** Two-factor authentication's words: its pages, its section of /account, its notices by mail. */
export const secondFactorWords = defineCatalogue("second-factor", en, { de, fr, es });
