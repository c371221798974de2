import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../src/main/config.js";
import {
  brandColorProblems,
  contrastRatio,
  DARK_BACKGROUND,
  LIGHT_BACKGROUND,
} from "../../src/platform/pages/contrast.js";
import { DEFAULT_BRAND_COLOR } from "../../src/platform/pages/style.js";
import { request } from "../helpers/http.js";
import { startTestServer } from "../helpers/server.js";

test("contrast ratios as WCAG computes them", () => {
  assert.equal(contrastRatio("#000000", "#ffffff").toFixed(2), "21.00");
  assert.equal(contrastRatio("#fff", "#fff").toFixed(2), "1.00");
  assert.equal(contrastRatio("#767676", "#ffffff").toFixed(2), "4.54");
});

test("the default colour and a dark red pass; a light, a pale and a very dark one do not", () => {
  assert.deepEqual(brandColorProblems(DEFAULT_BRAND_COLOR), []);
  assert.deepEqual(brandColorProblems("#b3261e"), []);
  assert.match(brandColorProblems("#ffcc00").join(), /against the light page background #ffffff/);
  assert.match(brandColorProblems("#ffcc00").join(), /white text/);
  assert.match(
    brandColorProblems("#6a1b9a").join(),
    new RegExp(`dark page background ${DARK_BACKGROUND}`),
  );
  assert.match(brandColorProblems("gold").join(), /hex colour/);
  assert.ok(contrastRatio(DEFAULT_BRAND_COLOR, LIGHT_BACKGROUND) >= 4.5);
});

test("a colour that fails is refused at start, naming BRAND_COLOR", () => {
  assert.throws(
    () => loadConfig({ BRAND_COLOR: "#ffcc00" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.some((problem) => /^BRAND_COLOR #ffcc00 has 1\.\d+:1 against/.test(problem)),
  );
  assert.throws(() => loadConfig({ BRAND_LOGO_URL: "javascript:alert(1)" }), /BRAND_LOGO_URL/);
});

test("the brand on the pages: name, colour, logo, and only the logo's origin in the CSP", {
  timeout: 120_000,
}, async () => {
  const server = await startTestServer({
    BRAND_NAME: "Example Corp",
    BRAND_COLOR: "#b3261e",
    BRAND_LOGO_URL: "https://cdn.example.com/logo.svg",
  });
  try {
    const page = await request(server.url, "GET", "/account/login");
    assert.match(page.text, /<title>Log in · Example Corp<\/title>/);
    assert.match(
      page.text,
      /<header class="brand"><img src="https:\/\/cdn\.example\.com\/logo\.svg" alt="" height="32"><span>Example Corp<\/span><\/header>/,
    );
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /img-src 'self' data: https:\/\/cdn\.example\.com;/);
    assert.match(csp, /script-src 'self';/);
    const css = await request(server.url, "GET", "/account/style.css");
    assert.match(css.text, /--brand: #b3261e;/);
  } finally {
    await server.close();
  }
});
