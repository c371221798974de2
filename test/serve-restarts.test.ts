import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { spawnServe } from "./helpers/cli.js";
import { request, sessionCookieOf } from "./helpers/http.js";
import { tempDir } from "./helpers/server.js";

/**
 * better-sqlite3 12 built against Node 24.19+'s headers aborted the process
 * (SIGABRT, `Assertion failed: (env) != nullptr`) when garbage collection freed
 * one of its wrapped objects: most starts died before their first request, the
 * others at some later moment. So `serve` is started and stopped many times,
 * each time doing the work that creates and drops statements, and every exit
 * must be the clean one of a graceful stop.
 */
const STARTS = 20;
const folder = tempDir();
after(() => folder.remove());
const env = { DATABASE_URL: `sqlite:${join(folder.dir, "restarts.db")}`, BCRYPT_COST: "4" };

for (let start = 1; start <= STARTS; start++) {
  test(`serve start ${start} of ${STARTS}: answers, then exits cleanly on SIGTERM`, {
    timeout: 30_000,
  }, async () => {
    const server = await spawnServe(env);
    const form = { email: `restart-${start}@example.com`, password: "b4l0u" };
    assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);
    const login = await request(server.url, "POST", "/sessions", { form });
    const cookie = `session_id=${sessionCookieOf(login)}`;
    const profile = await request(server.url, "GET", "/profile", { cookie });
    assert.deepEqual(profile.body, { email: form.email });
    server.child.kill("SIGTERM");
    const code = await server.exited;
    assert.equal(code, 0, `exit code ${code} (null: killed by a signal)\n${server.output()}`);
    assert.doesNotMatch(server.output(), /Assertion failed|SIGABRT/);
  });
}
