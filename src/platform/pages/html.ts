import { escapeHtml } from "../text/html-escape.js";
import { ICON_PATH } from "./icon.js";
import { STYLESHEET_PATH } from "./style.js";

export { escapeHtml };

/** A value that is already HTML (built from escaped parts), not text to escape. */
export interface Html {
  readonly html: string;
}

/** Template tag: interpolated strings are escaped, Html values and arrays of them are not. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? "");
  });
  return { html: out };
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  if (typeof value === "object" && "html" in value) return String((value as Html).html);
  return escapeHtml(String(value));
}

export interface PageOptions {
  title: string;
  /** A confirmation shown above the content (role=status). */
  notice?: string | undefined;
  /** What went wrong, shown above the content (role=alert); the field in error points to it by ERROR_ID. */
  error?: string | undefined;
}

/** What every page of one request shares: its language, the site's name, the header and footer around the content. */
export interface PageChrome {
  /** The BCP 47 tag of the page's language, for <html lang>. */
  lang: string;
  /** After the title in <title>: the brand's name. */
  siteName: string;
  /** Above <main>: the brand (name, logo). */
  header: Html;
  /** Below <main>: the language switcher. */
  footer: Html;
}

/**
 * The chrome of a page made where no request's language is known (the OpenID
 * provider's own pages): English, no switcher.
 */
export function plainChrome(siteName = "auth-service"): PageChrome {
  return { lang: "en", siteName, header: html``, footer: html`` };
}

/** The id of the page's error message, for aria-describedby on the field it is about. */
export const ERROR_ID = "page-error";

/** A whole document: no inline script or style, so the strict CSP holds. */
export function page(
  chrome: PageChrome,
  { title, notice, error }: PageOptions,
  content: Html,
): string {
  return html`<!doctype html>
<html lang="${chrome.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${chrome.siteName}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="icon" type="image/svg+xml" href="${ICON_PATH}">
</head>
<body>
${chrome.header}
<main>
<h1>${title}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ""}
${error ? html`<p class="error" id="${ERROR_ID}" role="alert">${error}</p>` : ""}
${content}
</main>
${chrome.footer}
</body>
</html>
`.html;
}
