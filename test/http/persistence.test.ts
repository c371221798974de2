import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, tempDir } from "../helpers/server.js";

test("users and sessions survive a restart over the same file", async () => {
  const { dir, remove } = tempDir();
  const env = { DATABASE_URL: `sqlite:${join(dir, "auth.db")}` };
  try {
    let server = await startTestServer(env);
    const form = { email: "persist@example.com", password: "b4l0u" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const cookie = `session_id=${sessionCookieOf(await request(server.url, "POST", "/sessions", { form }))}`;
    await server.close();

    server = await startTestServer(env); // migrations run again and must keep the data
    try {
      assert.equal((await request(server.url, "POST", "/users", { form })).status, 400);
      assert.equal((await request(server.url, "POST", "/sessions", { form })).status, 200);
      const profile = await request(server.url, "GET", "/profile", { cookie });
      assert.equal(profile.status, 200);
      assert.deepEqual(profile.body, { email: form.email });
    } finally {
      await server.close();
    }
  } finally {
    remove();
  }
});
