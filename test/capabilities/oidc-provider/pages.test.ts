import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as client from "openid-client";
import type { Browser } from "playwright-core";
import { browserSkipReason, launchChromium } from "../../helpers/browser.js";
import { signedInUser } from "../../helpers/http.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { catchRedirect, codeFlowStart, discover, logIn, REDIRECT } from "./helpers.js";

const T = { timeout: 120_000 };
const skip = browserSkipReason();

describe("the OpenID provider's pages in the request's language", { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  const base = () => `http://localhost:${server.port}`;

  test("consent in German (Accept-Language), with the language switcher", T, async () => {
    const { email, password } = await signedInUser(server.url);
    const made = await server.service.oidc.clients.create({
      name: "Drittanbieter-App",
      redirectUris: [REDIRECT],
    });
    const config = await discover(server, made.clientId, made.clientSecret);
    const { url, checks } = await codeFlowStart(config, { scope: "openid email" });
    const page = await (await browser.newContext({ locale: "de-DE" })).newPage();
    const landed = await catchRedirect(page);
    await page.goto(url.href);
    await logIn(page, email, password);
    await page.waitForSelector("text=Drittanbieter-App möchte wissen, wer Sie sind.");
    assert.equal(await page.getAttribute("html", "lang"), "de");
    assert.ok(await page.isVisible("text=Außerdem fragt die Anwendung nach Ihrer E-Mail-Adresse."));
    assert.ok(await page.isVisible('form[action="/account/language"]'));
    await page.click('button:has-text("Erlauben")');
    const tokens = await client.authorizationCodeGrant(config, await landed(), checks);
    assert.ok(tokens.claims()?.sub);
  });

  test(
    "the device page in German by Accept-Language, in French by the switcher's cookie",
    T,
    async () => {
      const german = await fetch(`${base()}/oidc/device`, {
        headers: { "accept-language": "de-DE,de;q=0.9,en;q=0.5" },
      });
      assert.equal(german.status, 200);
      const body = await german.text();
      assert.match(body, /<html lang="de">/);
      assert.match(body, /Ein Gerät verbinden/);
      assert.match(body, /Geben Sie den Code ein, den Ihr Gerät anzeigt\./);
      assert.match(body, /placeholder="Code"/);
      assert.doesNotMatch(body, /Enter code/);
      const french = await fetch(`${base()}/oidc/device`, {
        headers: { cookie: "lang=fr", "accept-language": "de" },
      });
      assert.match(await french.text(), /Connecter un appareil/);
      // A wrong code: the page again, saying so.
      const cookie = german.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(body)?.[1] ?? "";
      const wrong = await fetch(`${base()}/oidc/device`, {
        method: "POST",
        headers: {
          cookie,
          "content-type": "application/x-www-form-urlencoded",
          "accept-language": "de",
        },
        body: new URLSearchParams({ xsrf, user_code: "WRONG-CODE" }),
      });
      assert.match(await wrong.text(), /Dieser Code stimmt nicht oder ist abgelaufen\./);
    },
  );

  test(
    "the error page explains in Spanish, shows the code, never the raw description",
    T,
    async () => {
      const made = await server.service.oidc.clients.create({
        name: "app",
        redirectUris: [REDIRECT],
      });
      const params = new URLSearchParams({
        client_id: made.clientId,
        response_type: "code",
        scope: "openid",
        redirect_uri: "http://rp.test/<script>alert(1)</script>",
      });
      const answer = await fetch(`${base()}/oidc/auth?${params}`, {
        headers: { "accept-language": "es" },
        redirect: "manual",
      });
      assert.equal(answer.status, 400);
      const body = await answer.text();
      assert.match(body, /<html lang="es">/);
      assert.match(
        body,
        /La aplicación pidió devolverle a una dirección que no tiene registrada\./,
      );
      assert.match(body, /invalid_redirect_uri/);
      assert.doesNotMatch(body, /<script>alert/);
      assert.doesNotMatch(body, /redirect_uri did not match/);
    },
  );

  test("the page after signing out, in German", T, async () => {
    const start = await fetch(`${base()}/oidc/session/end`, {
      headers: { "accept-language": "de" },
    });
    const cookie = start.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(await start.text())?.[1] ?? "";
    const confirmed = await fetch(`${base()}/oidc/session/end/confirm`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ xsrf, logout: "yes" }),
      redirect: "manual",
    });
    const to = new URL(confirmed.headers.get("location") ?? "", base());
    const done = await fetch(to, { headers: { "accept-language": "de", cookie } });
    const body = await done.text();
    assert.match(body, /<html lang="de">/);
    assert.match(body, /Sie sind abgemeldet\./);
  });
});
