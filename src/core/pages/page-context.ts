import type { FastifyReply, FastifyRequest } from "fastify";
import type { Translate } from "../../platform/i18n/catalogue.js";
import {
  isLanguage,
  LANGUAGE_NAMES,
  LANGUAGES,
  type Language,
  negotiateLanguage,
} from "../../platform/i18n/languages.js";
import { type Html, html, type PageChrome } from "../../platform/pages/html.js";
import { checkPagePath } from "./return-to.js";
import { type CoreKey, coreWords } from "./words.js";

/** The cookie that keeps the language chosen on the pages. */
export const LANGUAGE_COOKIE = "lang";
const LANGUAGE_COOKIE_SECONDS = 365 * 86_400;
/** Where the switcher posts. */
export const LANGUAGE_PATH = "/account/language";

/** The brand the pages and mails show (BRAND_NAME, BRAND_COLOR, BRAND_LOGO_URL). */
export interface Brand {
  name: string;
  /** A CSS colour checked for contrast at start (contrast.ts); none: the pages' own blue. */
  color?: string | undefined;
  logoUrl?: string | undefined;
}

export const DEFAULT_BRAND: Brand = { name: "auth-service" };

/** One request's page: its language, the core's words in it, and what page() puts around the content. */
export interface PageContext {
  readonly lang: Language;
  readonly t: Translate<CoreKey>;
  readonly chrome: PageChrome;
  readonly brand: Brand;
}

/**
 * What the hosted pages share: the language of each request (the switcher's
 * cookie, else Accept-Language, else DEFAULT_LANGUAGE), the brand, and the
 * switcher itself (a form that posts the language and the page to go back to).
 */
export class PageKit {
  readonly defaultLanguage: Language;
  readonly brand: Brand;
  readonly #secure: boolean;

  constructor(options: { defaultLanguage?: Language; brand?: Brand; secure?: boolean } = {}) {
    this.defaultLanguage = options.defaultLanguage ?? "en";
    this.brand = options.brand ?? DEFAULT_BRAND;
    this.#secure = options.secure ?? false;
  }

  /** The language of this request. */
  languageOf(request: FastifyRequest): Language {
    const header = request.headers.cookie;
    const chosen = header ? request.server.parseCookie(header)[LANGUAGE_COOKIE] : undefined;
    return this.languageFrom(chosen, request.headers["accept-language"]);
  }

  /**
   * The language of a request seen outside Fastify (oidc-provider's own
   * pages, on its koa context): the switcher cookie's value and
   * Accept-Language, weighed as languageOf does.
   */
  languageFrom(chosen: string | undefined, acceptLanguage: string | undefined): Language {
    return negotiateLanguage({ chosen, acceptLanguage, fallback: this.defaultLanguage });
  }

  /** The page context of this request (its language, and the switcher leading back to `back` or its own URL). */
  contextOf(request: FastifyRequest, back?: string): PageContext {
    return this.contextIn(this.languageOf(request), back ?? request.url);
  }

  contextIn(lang: Language, back: string): PageContext {
    const t = coreWords.in(lang);
    return {
      lang,
      t,
      brand: this.brand,
      chrome: {
        lang,
        siteName: this.brand.name,
        header: brandHeader(this.brand),
        footer: languageSwitcher(lang, back, t),
      },
    };
  }

  /** The switcher's answer: the cookie set, back to the page it was on (a path of this service only). */
  choose(request: FastifyRequest, reply: FastifyReply, lang: unknown, back: unknown): FastifyReply {
    if (isLanguage(lang)) {
      reply.setCookie(LANGUAGE_COOKIE, lang, {
        path: "/",
        httpOnly: true,
        sameSite: "lax",
        secure: this.#secure,
        maxAge: LANGUAGE_COOKIE_SECONDS,
      });
    }
    const origin = `${request.protocol}://${request.host}`;
    const place = checkPagePath(back, safeOrigin(origin));
    return reply.redirect(place ?? "/account/login", 303);
  }
}

function safeOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return "http://invalid.invalid";
  }
}

function brandHeader(brand: Brand): Html {
  return html`<header class="brand">${
    brand.logoUrl ? html`<img src="${brand.logoUrl}" alt="" height="32">` : ""
  }<span>${brand.name}</span></header>`;
}

/** A form of buttons, one per language, each named in itself; the current one pressed. */
function languageSwitcher(current: Language, back: string, t: Translate<CoreKey>): Html {
  const buttons = LANGUAGES.map(
    (lang) =>
      html`<button type="submit" name="lang" value="${lang}" lang="${lang}" class="link" aria-pressed="${
        lang === current ? "true" : "false"
      }">${LANGUAGE_NAMES[lang]}</button>`,
  );
  return html`<footer>
<form class="languages" method="post" action="${LANGUAGE_PATH}" aria-labelledby="languages-label">
<span id="languages-label">${t("page.languages")}</span>
<input type="hidden" name="back" value="${back}">
${buttons}
</form>
</footer>`;
}
