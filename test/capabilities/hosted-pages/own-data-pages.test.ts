import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request, sessionCookieOf } from "../../helpers/http.js";
import { alertOf, assertPrivatePage, noticeOf } from "../../helpers/pages.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { turnOnTotp } from "../../helpers/totp.js";

describe("/account's buttons for one's own data, and their confirmation pages", () => {
  let server: TestServer;
  const password = "b4l0u-own";

  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  async function signedUp(email: string): Promise<string> {
    await request(server.url, "POST", "/users", { form: { email, password } });
    const login = await request(server.url, "POST", "/sessions", { form: { email, password } });
    return `session_id=${sessionCookieOf(login)}`;
  }

  test("the account page has both buttons; each opens its confirmation page", async () => {
    const cookie = await signedUp("own-pages@example.com");
    const account = await request(server.url, "GET", "/account", { cookie });
    assert.match(account.text, /<form method="get" action="\/account\/export">/);
    assert.match(account.text, /<form method="get" action="\/account\/delete">/);
    const exportPage = await request(server.url, "GET", "/account/export", { cookie });
    assertPrivatePage(exportPage, "export page");
    assert.match(exportPage.text, /<form method="get" action="\/profile\/export">/);
    const deletePage = await request(server.url, "GET", "/account/delete", { cookie });
    assertPrivatePage(deletePage, "delete page");
    assert.match(deletePage.text, /name="delete_password"/);
    assert.doesNotMatch(deletePage.text, /name="delete_code"/, "no factor, no code field");
    for (const path of ["/account/export", "/account/delete"]) {
      const signedOut = await request(server.url, "GET", path);
      assert.equal(signedOut.status, 303);
      assert.equal(signedOut.headers.get("location"), "/account/login");
    }
  });

  test("a wrong password: the page again, its message by the field; the right one deletes", async () => {
    const cookie = await signedUp("own-pages-delete@example.com");
    const wrong = await request(server.url, "POST", "/account/delete", {
      cookie,
      form: { delete_password: "not it" },
    });
    assert.equal(wrong.status, 403);
    assert.equal(alertOf(wrong), "The current password is not right.");
    const done = await request(server.url, "POST", "/account/delete", {
      cookie,
      form: { delete_password: password },
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("location"), "/account/login?done=account-deleted");
    assert.match(done.headers.get("set-cookie") ?? "", /session_id=;/);
    const login = await request(server.url, "GET", "/account/login?done=account-deleted");
    assert.equal(noticeOf(login), "Your account is deleted, with everything kept about it.");
    assert.equal((await request(server.url, "GET", "/profile", { cookie })).status, 403);
  });

  test("with a second factor the page asks for a code, and refuses without one", async () => {
    const cookie = await signedUp("own-pages-2fa@example.com");
    const { recoveryCodes } = await turnOnTotp(server.url, cookie, password);
    const page = await request(server.url, "GET", "/account/delete", { cookie });
    assert.match(page.text, /name="delete_code"/);
    const without = await request(server.url, "POST", "/account/delete", {
      cookie,
      form: { delete_password: password },
    });
    assert.equal(without.status, 403);
    assert.match(alertOf(without), /needs a current code/);
    const done = await request(server.url, "POST", "/account/delete", {
      cookie,
      form: { delete_password: password, delete_code: recoveryCodes[0] ?? "" },
    });
    assert.equal(done.status, 303);
  });
});
