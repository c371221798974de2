import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import de from "../../../src/capabilities/passkeys/locales/de.json" with { type: "json" };
import en from "../../../src/capabilities/passkeys/locales/en.json" with { type: "json" };
import es from "../../../src/capabilities/passkeys/locales/es.json" with { type: "json" };
import fr from "../../../src/capabilities/passkeys/locales/fr.json" with { type: "json" };
import { request } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";

const CATALOGUES = { en, de, fr, es } as const;

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.close();
});

/** The passkey script's words as a page hands them over: its JSON data block. */
function wordsOf(page: string): Record<string, unknown> {
  const block = /<script type="application\/json" id="passkey-words">([^<]*)<\/script>/.exec(page);
  assert.ok(block?.[1], "the page carries the script's words");
  return JSON.parse(block[1]) as Record<string, unknown>;
}

test("the login page hands the passkey script its words in the page's language", {
  timeout: 60_000,
}, async () => {
  for (const [lang, catalogue] of Object.entries(CATALOGUES)) {
    const page = await request(server.url, "GET", "/account/login", {
      headers: { cookie: `lang=${lang}` },
    });
    assert.equal(page.status, 200);
    const words = wordsOf(page.text) as {
      cancelled: string;
      failed: string;
      useInsteadOfCode: string;
      errors: Record<string, string>;
    };
    assert.equal(words.cancelled, catalogue["script.cancelled"], lang);
    assert.equal(words.failed, catalogue["script.failed"], lang);
    assert.equal(words.useInsteadOfCode, catalogue["script.use_instead_of_code"], lang);
    assert.equal(typeof words.errors.invalid_passkey, "string");
    if (lang !== "en") assert.notEqual(words.cancelled, en["script.cancelled"], lang);
  }
});

test("the script itself carries no English message but its fallbacks, and reads the words block", {
  timeout: 60_000,
}, async () => {
  const script = await request(server.url, "GET", "/account/passkeys/passkeys.js");
  assert.equal(script.status, 200);
  assert.match(script.text, /passkey-words/);
  assert.doesNotMatch(script.text, /the server refused/);
  assert.doesNotMatch(script.text, /button\.textContent = "/);
});
