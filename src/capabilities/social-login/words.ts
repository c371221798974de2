import { defineCatalogue } from "../../platform/i18n/catalogue.js";
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };

/** Social login's words: its parts of the login, registration and account pages. */
export const socialWords = defineCatalogue("social-login", en, { de, fr, es });
