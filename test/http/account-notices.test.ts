import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";

/** Keys every plain object answers through its prototype. */
const INHERITED = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];

function messagesOf(text: string): string[] {
  return [...text.matchAll(/role="(?:status|alert)">([^<]*)</g)].map((match) => match[1] ?? "");
}

describe("notice codes in hosted pages' URLs", () => {
  let server: TestServer;
  let cookie: string;
  before(async () => {
    server = await startTestApp();
    const form = { email: "notices@example.com", password: "b4l0u" };
    await request(server.url, "POST", "/users", { form });
    const login = await request(server.url, "POST", "/sessions", { form });
    cookie = `session_id=${sessionCookieOf(login)}`;
  });
  after(async () => server.close());

  test("only the page's own codes render a message, never what an object inherits", async () => {
    for (const code of INHERITED) {
      for (const query of [`done=${code}`, `error=${code}`]) {
        for (const [path, options] of [
          ["/account/login", {}],
          ["/account", { cookie }],
        ] as const) {
          const r = await request(server.url, "GET", `${path}?${query}`, options);
          assert.equal(r.status, 200, `${path}?${query}`);
          assert.deepEqual(messagesOf(r.text), [], `${path}?${query}`);
          assert.doesNotMatch(r.text, /native code|\[object /, `${path}?${query}`);
        }
      }
    }
    const known = await request(server.url, "GET", "/account/login?done=registered");
    assert.deepEqual(messagesOf(known.text), ["Account created. You can log in now."]);
  });
});
