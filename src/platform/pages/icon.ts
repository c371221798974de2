import { createHash } from "node:crypto";

/** A padlock in the pages' blue: small enough to send as it is, drawn without <style> (the CSP). */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#2a5db0"/>
<path d="M11 15v-4a5 5 0 0 1 10 0v4" fill="none" stroke="#fff" stroke-width="2.6"/>
<rect x="8" y="14.5" width="16" height="11.5" rx="2" fill="#fff"/>
<circle cx="16" cy="20" r="1.8" fill="#2a5db0"/>
</svg>
`;

/**
 * The icon's address carries a hash of its content, so browsers may keep it
 * for a year and still see a new icon the day it changes.
 */
export const ICON_PATH = `/account/icon-${createHash("sha256").update(ICON_SVG).digest("hex").slice(0, 12)}.svg`;

/** Where browsers look for an icon on a document that names none (a JSON answer opened in a tab). */
export const FAVICON_PATH = "/favicon.ico";
