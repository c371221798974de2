import { defineCatalogue } from "../../platform/i18n/catalogue.js";
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };

/** The passkeys' words: their parts of the pages, their notices by mail. */
export const passkeyWords = defineCatalogue("passkeys", en, { de, fr, es });
