import { defineCatalogue } from "../../platform/i18n/catalogue.js";
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };

/** The OpenID provider's words: consent, the device pages, logout, its error page. */
export const oidcWords = defineCatalogue("oidc-provider", en, { de, fr, es });
