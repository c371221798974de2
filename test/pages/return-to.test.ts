import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { checkReturnTo } from "../../src/core/pages/return-to.js";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// ?return_to= on the hosted sign-in pages: a place on this service or on an
// origin of ALLOWED_RETURN_ORIGINS, else /account (OWASP's Unvalidated
// Redirects and Forwards Cheat Sheet). The table runs twice: against the
// pure check, and through the real server's login form.

const APP = "https://app.example.com";
const OWN = "http://own.example";

/** Inputs that must never leave the service: each ends on /account. */
const REFUSED: ReadonlyArray<readonly [string, string]> = [
  ["another origin", "https://evil.example/"],
  ["another origin, no path", "https://evil.example"],
  ["scheme-relative", "//evil.example"],
  ["scheme-relative, three slashes", "///evil.example"],
  ["scheme-relative after a dot segment", "/.//evil.example"],
  ["backslash", "/\\evil.example"],
  ["two backslashes", "\\\\evil.example"],
  ["slash, backslash, slash", "/\\/evil.example"],
  ["backslash in an absolute URL", "https:\\\\evil.example"],
  ["backslash before userinfo", `${APP}\\@evil.example`],
  ["userinfo naming the allowed origin", `https://app.example.com@evil.example`],
  ["userinfo on the allowed origin", "https://evil.example@app.example.com/"],
  ["user and password on the allowed origin", "https://user:pass@app.example.com/"],
  ["javascript:", "javascript:alert(1)"],
  ["javascript: in mixed case", "JaVaScRiPt:alert(document.domain)"],
  ["javascript: split by a tab", "java\tscript:alert(1)"],
  ["javascript: after a space", " javascript:alert(1)"],
  ["javascript: after a newline", "\njavascript:alert(1)"],
  ["data:", "data:text/html,<script>alert(1)</script>"],
  ["vbscript:", "vbscript:msgbox(1)"],
  ["scheme without slashes", "https:evil.example"],
  ["scheme with one slash", "https:/evil.example"],
  ["tab inside the slashes", "/\t/evil.example"],
  ["newline inside the slashes", "/\n/evil.example"],
  ["leading space", " //evil.example"],
  ["trailing space", "/account "],
  ["a header injection", "/account\r\nLocation: https://evil.example"],
  ["a line separator", "/\u2028/evil.example"],
  ["a zero-width space", "/\u200b/evil.example"],
  ["no-break space", "\u00a0//evil.example"],
  ["encoded slashes", "/%2F%2Fevil.example"],
  ["encoded slashes, no leading slash", "%2F%2Fevil.example"],
  ["encoded scheme separator", "https:%2F%2Fevil.example"],
  ["encoded backslash", "/%5Cevil.example"],
  ["double encoding", "/%252F%252Fevil.example"],
  ["encoded tab", "/%09/evil.example"],
  ["encoded newline", "/account%0d%0aLocation:%20https://evil.example"],
  ["encoded at sign in the host", "https://app.example.com%40evil.example"],
  ["the allowed origin over plain http", "http://app.example.com/"],
  ["the allowed origin on another port", "https://app.example.com:8443/"],
  ["a suffix of the allowed host", "https://app.example.com.evil.example/"],
  ["a prefix of the allowed host", "https://evilapp.example.com/"],
  ["the allowed origin in the path", "https://evil.example/https://app.example.com"],
  ["a look-alike host (Cyrillic a)", "https://\u0430pp.example.com/"],
  ["ftp:", "ftp://app.example.com/"],
  ["empty", ""],
  ["too long", `/account?${"a".repeat(1100)}`],
];

/** Inputs that are fine, and what they become. */
const ACCEPTED: ReadonlyArray<readonly [string, string, string]> = [
  ["a path here", "/account", "/account"],
  ["a path here with query and fragment", "/account?tab=1#sessions", "/account?tab=1#sessions"],
  ["this service's own origin", `${OWN}/account`, "/account"],
  ["the allowed origin", `${APP}/callback?state=xyz`, `${APP}/callback?state=xyz`],
  ["the allowed origin, no path", APP, `${APP}/`],
  ["the allowed origin in capitals", "HTTPS://APP.EXAMPLE.COM/x", `${APP}/x`],
  ["a relative path", "settings", "/settings"],
];

describe("checkReturnTo, the pure check", () => {
  for (const [what, input] of REFUSED) {
    test(`refuses ${what}`, () => {
      assert.equal(checkReturnTo(input, OWN, [APP]), undefined, JSON.stringify(input));
    });
  }
  for (const [what, input, output] of ACCEPTED) {
    test(`accepts ${what}`, () => {
      assert.equal(checkReturnTo(input, OWN, [APP]), output);
    });
  }
  test("refuses what is not a string", () => {
    assert.equal(checkReturnTo(["/account"], OWN, [APP]), undefined);
    assert.equal(checkReturnTo(undefined, OWN, [APP]), undefined);
  });
  test("no other origin is allowed without ALLOWED_RETURN_ORIGINS", () => {
    assert.equal(checkReturnTo(`${APP}/`, OWN, []), undefined);
  });
});

describe("the language switcher's way back", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ALLOWED_RETURN_ORIGINS: APP });
  });
  after(() => server?.close());

  /** Where the switcher sends the browser; null when it refuses the form itself (400). */
  const back = async (to: string) => {
    const answer = await request(server.url, "POST", "/account/language", {
      form: { lang: "de", back: to },
    });
    if (answer.status === 400) return null;
    assert.equal(answer.status, 303);
    return answer.headers.get("location");
  };

  test("back to the page with the return_to it carried", { timeout: 60_000 }, async () => {
    for (const place of ["/account/sessions", `${APP}/callback?state=xyz`]) {
      const page = `/account/login?return_to=${encodeURIComponent(place)}`;
      assert.equal(await back(page), page);
    }
    assert.equal(await back("/account/register"), "/account/register");
  });

  test("never off this service: each refused return_to, with or without a query", {
    timeout: 60_000,
  }, async () => {
    const rows = REFUSED.map(([what, input]) => [what, input.replaceAll(OWN, server.url)]);
    for (const [what, input = ""] of rows)
      for (const to of [input, `${input}?return_to=%2Faccount`]) {
        const place = await back(to);
        assert.ok(
          place === null || place === "/account/login",
          `${what}: ${JSON.stringify(to)} -> ${place}`,
        );
      }
  });
});

describe("the redirect table through the real server's login page", () => {
  let server: TestServer;
  const email = "return-table@example.com";
  const password = "b4l0u-return";

  before(async () => {
    server = await startTestServer({ ALLOWED_RETURN_ORIGINS: APP });
    await request(server.url, "POST", "/users", { form: { email, password } });
  });
  after(() => server?.close());

  /** As a browser goes: the login page with ?return_to=, then its form as the page filled it in. */
  async function landing(returnTo: string): Promise<string | null> {
    const page = await request(
      server.url,
      "GET",
      `/account/login?return_to=${encodeURIComponent(returnTo)}`,
    );
    assert.equal(page.status, 200);
    const carried = /name="return_to" value="([^"]*)"/.exec(page.text)?.[1];
    const form: Record<string, string> = { email, password };
    if (carried !== undefined) form.return_to = carried.replaceAll("&amp;", "&");
    const response = await request(server.url, "POST", "/account/login", { form });
    assert.equal(response.status, 303);
    assert.ok(sessionCookieOf(response), "signed in");
    return response.headers.get("location");
  }

  test("every refused return_to ends on /account", { timeout: 120_000 }, async () => {
    // The server's own origin is the request's, here http://127.0.0.1:<port>.
    const rows = REFUSED.map(([what, input]) => [what, input.replaceAll(OWN, server.url)]);
    for (const [what, input] of rows) {
      assert.equal(await landing(input ?? ""), "/account", `${what}: ${JSON.stringify(input)}`);
    }
  });

  test("a form that sends a refused value itself (not the page's) ends on /account too", {
    timeout: 120_000,
  }, async () => {
    // Controls and over-long values are refused by the form's schema before any of this.
    const plain = REFUSED.filter(([, input]) => !/[\p{Cc}]/u.test(input) && input.length <= 1024);
    for (const [what, input] of plain) {
      const response = await request(server.url, "POST", "/account/login", {
        form: { email, password, return_to: input },
      });
      assert.equal(response.headers.get("location"), "/account", what);
    }
  });

  test("the accepted ones lead where they say", { timeout: 120_000 }, async () => {
    for (const [what, input, output] of ACCEPTED) {
      assert.equal(await landing(input.replaceAll(OWN, server.url)), output, what);
    }
  });

  test("the login page carries a good return_to in its form and a bad one not at all", {
    timeout: 120_000,
  }, async () => {
    const good = await request(
      server.url,
      "GET",
      `/account/login?return_to=${encodeURIComponent(`${APP}/after`)}`,
    );
    assert.match(
      good.text,
      /<input type="hidden" name="return_to" value="https:\/\/app\.example\.com\/after">/,
    );
    // The way to registration keeps it.
    assert.match(
      good.text,
      /href="\/account\/register\?return_to=https%3A%2F%2Fapp\.example\.com%2Fafter"/,
    );
    const bad = await request(server.url, "GET", "/account/login?return_to=//evil.example");
    assert.doesNotMatch(bad.text, /name="return_to"/);
    assert.doesNotMatch(bad.text, /evil\.example/);
  });

  test("registration hands the return_to to the login page", { timeout: 120_000 }, async () => {
    const registered = await request(server.url, "POST", "/account/register", {
      form: { email: "return-register@example.com", password, return_to: `${APP}/welcome` },
    });
    assert.equal(registered.status, 303);
    assert.equal(
      registered.headers.get("location"),
      `/account/login?done=registered&return_to=${encodeURIComponent(`${APP}/welcome`)}`,
    );
  });
});
