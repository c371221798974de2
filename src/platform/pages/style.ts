/** Served as a file (never inline), so the CSP needs no 'unsafe-inline'. */
export const STYLESHEET_PATH = "/account/style.css";

export const STYLESHEET = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
/* Said, not left to the browser's default, so contrast checkers see the scheme's real background. */
html { background: Canvas; color: CanvasText; }
body { margin: 0; display: flex; justify-content: center; }
main { width: min(40rem, 100% - 2rem); padding: 2rem 0; }
h1 { font-size: 1.6rem; }
form.stacked { display: grid; gap: 0.4rem; max-width: 24rem; }
label { font-weight: 600; margin-top: 0.6rem; }
input { font: inherit; padding: 0.45rem 0.6rem; border: 1px solid #888; border-radius: 0.3rem; }
button { font: inherit; padding: 0.45rem 1rem; border-radius: 0.3rem; border: 1px solid #245; background: #2a5db0; color: #fff; cursor: pointer; }
button.secondary { background: transparent; color: inherit; border-color: #888; }
button.danger { background: #b3261e; border-color: #8c1d18; }
.actions { display: flex; flex-wrap: wrap; gap: 0.6rem; }
form.stacked button { margin-top: 1rem; justify-self: start; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.notice { padding: 0.6rem 0.8rem; border-left: 4px solid #2e9d4f; background: #2e9d4f22; }
.error { padding: 0.6rem 0.8rem; border-left: 4px solid #c62828; background: #c6282822; }
.banner { padding: 0.2rem 0.8rem 0.8rem; border-left: 4px solid #b26a00; background: #b26a0022; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: 0.4rem; border-bottom: 1px solid #8884; vertical-align: top; }
td form { margin: 0; }
td time { white-space: nowrap; }
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
ul.codes { columns: 2; font-size: 1.1rem; }
`;
