import { BUTTON_TEXT, DARK_BACKGROUND, LIGHT_BACKGROUND } from "./contrast.js";

/** Served as a file (never inline), so the CSP needs no 'unsafe-inline'. */
export const STYLESHEET_PATH = "/account/style.css";

/** The buttons' colour when BRAND_COLOR is not set. */
export const DEFAULT_BRAND_COLOR = "#2a5db0";

/**
 * The pages' stylesheet, with the brand colour (checked for contrast against
 * both backgrounds at start: contrast.ts) on buttons and the header's rule.
 */
export function stylesheet(brandColor: string = DEFAULT_BRAND_COLOR): string {
  return `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; --brand: ${brandColor}; }
/* Said, not left to the browser's default, so contrast checkers see the scheme's real background (contrast.ts). */
html { background: ${LIGHT_BACKGROUND}; color: #111111; background: light-dark(${LIGHT_BACKGROUND}, ${DARK_BACKGROUND}); color: light-dark(#111111, #f2f2f2); }
body { margin: 0; }
/* One column, centred, never wider than the screen (360 px phones included). */
main, header.brand, footer { width: min(40rem, 100% - 2rem); margin: 0 auto; box-sizing: border-box; }
main { padding: 1rem 0 2rem; overflow-wrap: anywhere; }
header.brand { display: flex; align-items: center; gap: 0.6rem; padding: 1rem 0 0.4rem; font-weight: 600; border-bottom: 3px solid var(--brand); }
header.brand img { max-height: 2rem; width: auto; }
footer { padding: 1rem 0 2rem; border-top: 1px solid #8884; }
form.languages { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4rem 0.8rem; }
button.link { background: none; border: none; padding: 0.2rem 0; color: inherit; text-decoration: underline; }
button.link[aria-pressed="true"] { font-weight: 700; text-decoration: none; }
ul.sessions { list-style: none; padding: 0; margin: 1rem 0; }
ul.sessions li { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.2rem 1rem; padding: 0.6rem 0; border-bottom: 1px solid #8884; }
ul.sessions li form { margin-left: auto; }
input { max-width: 100%; box-sizing: border-box; }
h1 { font-size: 1.6rem; }
form.stacked { display: grid; gap: 0.4rem; max-width: 24rem; grid-template-columns: minmax(0, 1fr); }
label { font-weight: 600; margin-top: 0.6rem; }
input { font: inherit; padding: 0.45rem 0.6rem; border: 1px solid #888; border-radius: 0.3rem; }
button { font: inherit; padding: 0.45rem 1rem; border-radius: 0.3rem; border: 1px solid var(--brand); background: var(--brand); color: ${BUTTON_TEXT}; cursor: pointer; }
button.secondary { background: transparent; color: inherit; border-color: #888; }
button.danger { background: #b3261e; border-color: #8c1d18; }
.actions { display: flex; flex-wrap: wrap; gap: 0.6rem; }
form.stacked button { margin-top: 1rem; justify-self: start; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.notice { padding: 0.6rem 0.8rem; border-left: 4px solid #2e9d4f; background: #2e9d4f22; }
.error { padding: 0.6rem 0.8rem; border-left: 4px solid #c62828; background: #c6282822; }
.banner { padding: 0.2rem 0.8rem 0.8rem; border-left: 4px solid #b26a00; background: #b26a0022; }
/* #777 was 4.48:1 on white, under WCAG AA's 4.5:1; these are 7:1 or more on either scheme's background. */
.hint { color: #595959; color: light-dark(#595959, #b0b0b0); font-size: 0.9rem; }
nav { margin-top: 1.5rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
nav a { margin-right: 1rem; }
form.stacked + form.stacked { margin-top: 1.5rem; }
details { margin-top: 1.5rem; }
summary { cursor: pointer; }
/* The QR code keeps its white margin in the dark scheme too: scanners need it. */
img.qr { display: block; margin: 0.5rem 0; }
code.secret { font-size: 1.1rem; word-spacing: 0.3rem; }
ul.codes { columns: 2; font-size: 1.1rem; padding-left: 1.2rem; }
img.qr { max-width: 100%; height: auto; }
`;
}

export const STYLESHEET = stylesheet();
