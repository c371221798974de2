import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { request, type TestResponse } from "../../helpers/http.js";
import { assertPrivatePage, focusedFields } from "../../helpers/pages.js";
import { startTestApp, type TestServer } from "../../helpers/server.js";

// The reset page's form asks for a new password only (the token names the
// account); a hidden username field tells password managers whose password
// it is, as the other password forms do, so they offer to update the right
// saved login (Chromium warns about a password form without one).

let server: TestServer;
before(async () => {
  server = await startTestApp();
});
after(async () => {
  await server.close();
});

/** The reset form's hidden username inputs (there is one form on the page). */
function usernameInputs(page: TestResponse): string[] {
  const form =
    /<form class="stacked" method="post" action="\/account\/reset">[\s\S]*?<\/form>/.exec(
      page.text,
    )?.[0];
  assert.ok(form, "the reset form");
  return [...form.matchAll(/<input [^>]*autocomplete="username"[^>]*>/g)].map((match) => match[0]);
}

async function resetLink(email: string): Promise<string> {
  const forgot = await request(server.url, "POST", "/account/forgot", { form: { email } });
  return /id="reset-link" href="([^"]+)"/.exec(forgot.text)?.[1] ?? "";
}

test("the reset form names its account in a hidden username field, as the account's own spelling", async () => {
  const email = "Reset.Page@example.com";
  await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
  const link = await resetLink(email.toLowerCase());
  const page = await request(server.url, "GET", link);
  assert.equal(page.status, 200);
  assertPrivatePage(page, "reset page");
  assert.deepEqual(usernameInputs(page), [
    `<input type="email" autocomplete="username" value="${email}" hidden readonly>`,
  ]);
  assert.doesNotMatch(
    page.text,
    /name="email"/,
    "nothing more is sent: the token names the account",
  );
  assert.deepEqual(focusedFields(page), ["new_password"]);

  const token = new URL(link, server.url).searchParams.get("token") ?? "";
  const weak = await request(server.url, "POST", "/account/reset", {
    form: { reset_token: token, new_password: "abc" },
  });
  assert.equal(weak.status, 400);
  assert.equal(usernameInputs(weak).length, 1, "the form again, still named");
  assert.match(usernameInputs(weak)[0] ?? "", new RegExp(`value="${email}"`));

  const done = await request(server.url, "POST", "/account/reset", {
    form: { reset_token: token, new_password: "n3w-pass" },
  });
  assert.equal(done.status, 303);
  // A used link names nobody.
  const used = await request(server.url, "GET", link);
  assert.deepEqual(usernameInputs(used), []);
});

test("a link no account has names nobody", async () => {
  for (const token of ["an-unknown-token", "A".repeat(43)]) {
    const page = await request(server.url, "GET", `/account/reset?token=${token}`);
    assert.equal(page.status, 200);
    assert.deepEqual(usernameInputs(page), []);
  }
});
