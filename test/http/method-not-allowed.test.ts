import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { after, before, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { request } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";

let server: TestServer;
/** Every route pattern the server registers, with its methods, as Fastify reports them. */
const patterns = new Map<string, string[]>();

before(async () => {
  // Fastify announces each new instance on this channel before any route is
  // added: the hook sees every route the service registers.
  const record = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook("onRoute", (route) => {
      const methods = patterns.get(route.url) ?? [];
      methods.push(...[route.method].flat());
      patterns.set(route.url, methods.sort());
    });
  };
  diagnostics.subscribe("fastify.initialization", record);
  try {
    server = await startTestApp();
  } finally {
    diagnostics.unsubscribe("fastify.initialization", record);
  }
});
after(async () => {
  await server.close();
});

/**
 * A path the pattern matches: a value for each parameter, and for the one
 * wildcard (/docs/static/*, Swagger UI's files) a file it serves.
 */
function examplePath(pattern: string): string {
  return pattern.replace(/:\w+/g, "9").replace(/\*$/, "swagger-ui.css");
}

test("every route pattern answers a wrong method with 405, and Allow names the methods that route", async () => {
  // The ones the first-hour report met, among the rest.
  for (const pattern of ["/sessions/:id", "/admin/users/:id", "/admin/users/:id/sessions"])
    assert.ok(patterns.has(pattern), `no ${pattern} in\n${[...patterns.keys()].join("\n")}`);
  assert.ok(patterns.size > 40, `only ${patterns.size} patterns read`);
  for (const [pattern, methods] of patterns) {
    const path = examplePath(pattern);
    // No route takes PATCH.
    const patch = await request(server.url, "PATCH", path);
    assert.equal(patch.status, 405, `PATCH ${path} (${pattern}): ${patch.text}`);
    assert.equal((patch.body as { error: string }).error, "method_not_allowed");
    const allow = patch.headers.get("allow")?.split(", ") ?? [];
    // A path can match more than its own pattern: /sessions/mfa is also /sessions/:id.
    for (const method of methods)
      assert.ok(allow.includes(method), `${path}: ${allow} lacks ${method}`);
    // HEAD is GET's twin, answered without a body to read.
    for (const method of allow.filter((name) => name !== "HEAD")) {
      const answer = await request(server.url, method, path);
      assert.notEqual(answer.status, 405, `${method} ${path} is in Allow but refused`);
      assert.notEqual(
        (answer.body as { error?: string }).error,
        "route_not_found",
        `${method} ${path}`,
      );
    }
    const wrong = ["PUT", "DELETE", "POST", "GET"].find((method) => !allow.includes(method));
    if (wrong === undefined) continue;
    const answer = await request(server.url, wrong, path);
    assert.equal(answer.status, 405, `${wrong} ${path} (${pattern}): ${answer.text}`);
    assert.equal(answer.headers.get("allow"), allow.join(", "), `${wrong} ${path}`);
  }
});

test("the report's requests, with a trailing slash and a query too", async () => {
  for (const [method, path, allow] of [
    ["PATCH", "/admin/users/9", "DELETE, GET, HEAD"],
    ["PUT", "/sessions/abc", "DELETE"],
    ["POST", "/admin/users/9/sessions", "DELETE"],
    ["PUT", "/sessions/abc/", "DELETE"],
    ["GET", "/account/sessions/abc/revoke?x=1", "POST"],
  ] as const) {
    const answer = await request(server.url, method, path);
    assert.equal(answer.status, 405, `${method} ${path}`);
    assert.equal(answer.headers.get("allow"), allow, `${method} ${path}`);
  }
});

test("a path no pattern matches is still 404", async () => {
  for (const path of ["/sessions/abc/def", "/admin/users/9/nope", "/nope", "/Sessions"]) {
    const answer = await request(server.url, "GET", path);
    assert.equal(answer.status, 404, path);
    assert.equal(answer.headers.get("allow"), null, path);
  }
});
