import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { request } from "../helpers/http.js";
import { startTestApp, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestApp();
});
after(async () => {
  await server.close();
});

interface Operation {
  security?: Array<Record<string, string[]>>;
  summary?: string;
  responses: Record<string, unknown>;
  requestBody?: { content: Record<string, unknown> };
}

test("GET /openapi.json: a valid OpenAPI document of every route and answer", async () => {
  const r = await request(server.url, "GET", "/openapi.json");
  assert.equal(r.status, 200);
  const document = r.body as { openapi: string; paths: Record<string, Record<string, Operation>> };
  const result = await new Validator().validate(document as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors));
  assert.match(document.openapi, /^3\.1/);

  const expected: Record<string, Record<string, string[]>> = {
    "/": { get: ["200"] },
    "/health": { get: ["200"] },
    "/ready": { get: ["200", "503"] },
    "/users": { post: ["200", "400", "403", "413", "415", "429", "503"] },
    "/sessions": {
      post: ["200", "400", "401", "403", "413", "415", "429", "503"],
      delete: ["204", "303", "400", "401", "403", "503"],
      get: ["200", "400", "401", "403", "503"],
    },
    "/sessions/{id}": { delete: ["200", "400", "401", "403", "404", "503"] },
    "/profile": { get: ["200", "400", "401", "403", "503"] },
    "/profile/password": {
      put: ["200", "400", "401", "403", "413", "415", "429", "503"],
    },
    "/reset_password": {
      post: ["200", "400", "403", "413", "415", "429", "503"],
      put: ["200", "400", "403", "413", "415", "503"],
    },
  };
  for (const [path, methods] of Object.entries(expected)) {
    for (const [method, codes] of Object.entries(methods)) {
      const operation = document.paths[path]?.[method];
      assert.ok(operation, `${method.toUpperCase()} ${path} is documented`);
      assert.ok(operation.summary, `${method.toUpperCase()} ${path} has a summary`);
      assert.deepEqual(
        Object.keys(operation.responses).sort(),
        codes.sort(),
        `${method.toUpperCase()} ${path} answers`,
      );
    }
  }
  const login = document.paths["/sessions"]?.post;
  assert.ok(
    login?.requestBody?.content["application/x-www-form-urlencoded"],
    "forms are documented",
  );
  assert.ok(login?.requestBody?.content["application/json"], "JSON is documented");
  const schemes = (document as { components?: { securitySchemes?: Record<string, unknown> } })
    .components?.securitySchemes;
  assert.deepEqual(Object.keys(schemes ?? {}).sort(), ["apiKey", "basic", "bearer", "session"]);
  for (const [path, method] of [
    ["/admin/users", "get"],
    ["/admin/users", "post"],
    ["/admin/users/{id}", "get"],
    ["/admin/users/{id}", "delete"],
    ["/admin/users/{id}/sessions", "delete"],
    ["/admin/audit", "get"],
  ] as const) {
    const operation = document.paths[path]?.[method];
    assert.ok(operation?.summary, `${method} ${path} is documented`);
    assert.deepEqual(operation.security, [{ apiKey: [] }], `${method} ${path} needs an API key`);
    for (const code of ["401", "403"]) assert.ok(operation.responses[code], `${path} ${code}`);
  }
  assert.deepEqual(document.paths["/profile"]?.get?.security, [{ bearer: [] }, { session: [] }]);
  assert.equal(document.paths["/openapi.json"], undefined, "the document does not list itself");
});

test("GET /docs serves Swagger UI from the package", async () => {
  const page = await request(server.url, "GET", "/docs", { follow: true });
  assert.equal(page.status, 200);
  assert.match(page.text, /swagger-ui/i);
});
