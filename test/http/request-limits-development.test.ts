import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// Development leaves the request limits off by default (scripts and the
// original client ask again and again); an operator who sets one gets it.
describe("request limits set explicitly in development", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      RESET_MAX_PER_EMAIL: "2",
      RESET_MAX_PER_IP: "2",
      EMAIL_VERIFICATION: "optional",
    });
  });
  after(() => server.close());

  test("RESET_MAX_* limits development's reset requests: 429 with Retry-After past them", async () => {
    const email = "limited@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof request>> | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await request(server.url, "POST", "/reset_password", { form: { email } });
      statuses.push(r.status);
      if (r.status === 429) refused = r;
    }
    assert.deepEqual(statuses, [200, 200, 429, 429, 429]);
    assert.ok(Number(refused?.headers.get("retry-after")) > 0);
  });

  test("and the verification links counted under them (apart from resets)", async () => {
    const email = "verify-limited@example.com";
    await request(server.url, "POST", "/users", { form: { email, password: "b4l0u" } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await request(server.url, "POST", "/users/verification", { form: { email } })).status,
      );
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  });
});
