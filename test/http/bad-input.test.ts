import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NoResultFound } from "../../src/auth/errors.js";
import { send } from "../helpers/fuzz.js";
import { type RequestOptions, request } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

const SECRET = "pa55-word-never-echoed";
const EMAIL = "victim@example.com";

interface Case {
  name: string;
  method: string;
  path: string;
  options: RequestOptions;
  status: number;
  /** A part of the message that says what is wrong. */
  message?: RegExp;
}

const FIELD_ROUTES = [
  { method: "POST", path: "/users", fields: { email: EMAIL, password: SECRET } },
  { method: "POST", path: "/sessions", fields: { email: EMAIL, password: SECRET } },
  { method: "POST", path: "/reset_password", fields: { email: EMAIL } },
  {
    method: "PUT",
    path: "/reset_password",
    fields: { email: EMAIL, reset_token: "tok", new_password: SECRET },
  },
] as const;

function casesFor(route: (typeof FIELD_ROUTES)[number]): Case[] {
  const { method, path } = route;
  const fields: Record<string, string> = { ...route.fields };
  const label = `${method} ${path}`;
  const cases: Case[] = [];
  for (const name of Object.keys(fields)) {
    const { [name]: _dropped, ...rest } = fields;
    cases.push({
      name: `${label} without ${name}`,
      method,
      path,
      options: { form: rest },
      status: 400,
      message: new RegExp(`missing field: ${name}`),
    });
    cases.push({
      name: `${label} JSON without ${name}`,
      method,
      path,
      options: { json: rest },
      status: 400,
      message: new RegExp(`missing field: ${name}`),
    });
    for (const wrong of [42, true, null, [fields[name]], { nested: 1 }]) {
      cases.push({
        name: `${label} ${name}=${JSON.stringify(wrong)}`,
        method,
        path,
        options: { json: { ...fields, [name]: wrong } },
        status: 400,
        message: new RegExp(`${name} must be a string`),
      });
    }
    cases.push({
      name: `${label} empty ${name}`,
      method,
      path,
      options: { form: { ...fields, [name]: "" } },
      status: 400,
      message: new RegExp(`${name} must not be empty`),
    });
    cases.push({
      name: `${label} ${name} too long`,
      method,
      path,
      options: { form: { ...fields, [name]: "a".repeat(5000) } },
      status: 400,
      message: new RegExp(`${name} must be at most`),
    });
    cases.push({
      name: `${label} ${name} twice in a form`,
      method,
      path,
      options: {
        raw: `${new URLSearchParams(fields)}&${name}=again`,
        contentType: "application/x-www-form-urlencoded",
      },
      status: 400,
      message: new RegExp(`${name} must be a string`),
    });
  }
  const json = "application/json";
  const form = "application/x-www-form-urlencoded";
  cases.push(
    {
      name: `${label} extra field`,
      method,
      path,
      options: { form: { ...fields, admin: "1" } },
      status: 400,
      message: /unknown field: admin/,
    },
    { name: `${label} no body`, method, path, options: {}, status: 400 },
    {
      name: `${label} empty form`,
      method,
      path,
      options: { raw: "", contentType: form },
      status: 400,
    },
    {
      name: `${label} empty JSON`,
      method,
      path,
      options: { raw: "", contentType: json },
      status: 400,
    },
    {
      name: `${label} malformed JSON`,
      method,
      path,
      options: { raw: `{"email": "${EMAIL}", "password": "${SECRET}"`, contentType: json },
      status: 400,
      message: /not valid JSON/,
    },
    {
      name: `${label} form sent as JSON`,
      method,
      path,
      options: { raw: new URLSearchParams(fields).toString(), contentType: json },
      status: 400,
    },
    { name: `${label} JSON array`, method, path, options: { json: [fields] }, status: 400 },
    { name: `${label} JSON string`, method, path, options: { json: "email" }, status: 400 },
    {
      name: `${label} JSON number`,
      method,
      path,
      options: { raw: "12", contentType: json },
      status: 400,
    },
    {
      name: `${label} __proto__`,
      method,
      path,
      options: { raw: `{"email":"${EMAIL}","__proto__":{"admin":true}}`, contentType: json },
      status: 400,
    },
    {
      name: `${label} text/plain`,
      method,
      path,
      options: { raw: JSON.stringify(fields), contentType: "text/plain" },
      status: 415,
    },
    {
      name: `${label} multipart`,
      method,
      path,
      options: { raw: "--x\r\n\r\n--x--", contentType: "multipart/form-data; boundary=x" },
      status: 415,
    },
    {
      name: `${label} xml`,
      method,
      path,
      options: { raw: "<a/>", contentType: "application/xml" },
      status: 415,
    },
    {
      name: `${label} octet-stream`,
      method,
      path,
      options: { raw: new Uint8Array([0, 159, 146, 150]), contentType: "application/octet-stream" },
      status: 415,
    },
    {
      name: `${label} huge form`,
      method,
      path,
      options: { raw: `email=${"a".repeat(100_000)}`, contentType: form },
      status: 413,
    },
    {
      name: `${label} huge JSON`,
      method,
      path,
      options: { raw: JSON.stringify({ ...fields, pad: "a".repeat(100_000) }), contentType: json },
      status: 413,
    },
    {
      name: `${label} invalid UTF-8 JSON`,
      method,
      path,
      options: { raw: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), contentType: json },
      status: 400,
    },
  );
  return cases;
}

const CASES: Case[] = [
  ...FIELD_ROUTES.flatMap(casesFor),
  {
    name: "POST /users invalid email",
    method: "POST",
    path: "/users",
    options: { form: { email: "not-an-email", password: SECRET } },
    status: 400,
    message: /email must look like/,
  },
  {
    name: "POST /users email with spaces",
    method: "POST",
    path: "/users",
    options: { form: { email: "a b@example.com", password: SECRET } },
    status: 400,
    message: /spaces/,
  },
  {
    name: "POST /users short password",
    method: "POST",
    path: "/users",
    options: { form: { email: "short@example.com", password: "abcd" } },
    status: 400,
    message: /at least 5 characters/,
  },
  {
    name: "POST /users password over 72 bytes",
    method: "POST",
    path: "/users",
    options: { form: { email: "long@example.com", password: "é".repeat(40) } },
    status: 400,
    message: /72 bytes/,
  },
  {
    name: "GET /profile with a huge cookie",
    method: "GET",
    path: "/profile",
    options: { cookie: `session_id=${"a".repeat(6000)}` },
    status: 403,
  },
  {
    name: "GET /profile with a garbled cookie header",
    method: "GET",
    path: "/profile",
    options: { cookie: "session_id=%E0%A4%A; =; ;;" },
    status: 403,
  },
  {
    name: "DELETE /sessions with text/plain body",
    method: "DELETE",
    path: "/sessions",
    options: { raw: "x", contentType: "text/plain" },
    status: 415,
  },
  {
    name: "GET /profile?x=<script>",
    method: "GET",
    path: "/profile?x=%3Cscript%3E",
    options: {},
    status: 403,
  },
];

describe("bad input always gets a 4xx JSON error", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const r = await request(server.url, c.method, c.path, c.options);
      assert.equal(r.status, c.status, r.text);
      assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
      const body = r.body as { message?: unknown };
      assert.equal(typeof body.message, "string");
      if (c.message) assert.match(body.message as string, c.message);
      assert.ok(!r.text.includes(SECRET), "the password is never echoed");
    });
  }

  test("a GET with a body: read and dropped; past the body limit, 413", async () => {
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const small = await send(server.url, {
      method: "GET",
      path: "/",
      headers,
      body: Buffer.alloc(10_000, 97),
    });
    assert.equal(small.status, 200);
    const large = await send(server.url, {
      method: "GET",
      path: "/metrics",
      headers,
      body: Buffer.alloc(400_000, 97),
    });
    assert.equal(large.status, 413);
    assert.match(large.contentType, /^application\/json/);
    assert.match(large.body, /request body is too large/);
  });

  test("nothing was written by any of them, and the server still serves", async () => {
    for (const email of [EMAIL, "short@example.com", "long@example.com", "not-an-email"]) {
      await assert.rejects(server.service.db.findUserBy({ email }), NoResultFound);
    }
    const r = await request(server.url, "POST", "/users", {
      form: { email: EMAIL, password: SECRET },
    });
    assert.equal(r.status, 200);
  });
});
