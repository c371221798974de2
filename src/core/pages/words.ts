import { defineCatalogue } from "../../platform/i18n/catalogue.js";
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };

/** The core's words: the login, registration and account pages, the notices, the errors, the core's mails. */
export const coreWords = defineCatalogue("core", en, { de, fr, es });
export type CoreKey = keyof typeof en;
