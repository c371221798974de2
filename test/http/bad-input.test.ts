import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NoResultFound } from "../../src/core/errors.js";
import { type TestDatabase, testDatabases } from "../helpers/databases.js";
import { send } from "../helpers/fuzz.js";
import { type RequestOptions, request, sessionCookieOf } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

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
  /** Sent with the cookie of a live session, so that the route goes as far as a lookup. */
  withSession?: boolean;
  /** Sent with a live admin API key (every scope), so that admin routes validate their input. */
  withAdminKey?: boolean;
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
  {
    method: "PUT",
    path: "/profile/password",
    fields: { current_password: SECRET, new_password: `${SECRET}-2` },
  },
  { method: "POST", path: "/mfa/totp/confirm", fields: { code: "123456", password: SECRET } },
  { method: "DELETE", path: "/mfa/totp", fields: { password: SECRET } },
  { method: "POST", path: "/mfa/recovery-codes", fields: { password: SECRET } },
  { method: "POST", path: "/sessions/mfa", fields: { mfa_token: "tok", code: "123456" } },
] as const;

/**
 * What no string field may carry (schemas.ts PLAIN_TEXT_PATTERN): PostgreSQL
 * refuses NUL in text (it was a 500), and a lone surrogate has no UTF-8 form
 * (pg sent U+FFFD, so `sur\udbff@` logged into `sur\ud800@`'s account).
 */
const NOT_PLAIN = [
  { label: "NUL", char: "\u0000" },
  { label: "a lone high surrogate", char: "\ud800" },
  { label: "a lone low surrogate", char: "\udfff" },
  { label: "ESC", char: "\u001b" },
  { label: "DEL", char: "\u007f" },
  { label: "a tab", char: "\t" },
];

/** The value with `char` after its first character ("v\u0000ictim@example.com"). */
function spoiled(value: string, char: string): string {
  return `${value.slice(0, 1)}${char}${value.slice(1)}`;
}

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
    for (const { label: what, char } of NOT_PLAIN) {
      cases.push({
        name: `${label} ${name} with ${what} (JSON)`,
        method,
        path,
        options: { json: { ...fields, [name]: spoiled(fields[name] ?? "", char) } },
        status: 400,
        message: new RegExp(`${name} must not contain control characters`),
      });
    }
    // A form cannot carry a lone surrogate: URLSearchParams sends U+FFFD, and
    // percent-decoding leaves invalid UTF-8 (%ED%A0%80) as the literal text.
    cases.push({
      name: `${label} ${name} with NUL (form)`,
      method,
      path,
      options: { form: { ...fields, [name]: spoiled(fields[name] ?? "", "\u0000") } },
      status: 400,
      message: new RegExp(`${name} must not contain control characters`),
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

const FORM = "application/x-www-form-urlencoded";
const NOT_PLAIN_MESSAGE = /must not contain control characters/;

/** The hosted pages' forms and the path parameters: the same refusal, before any lookup. */
const PAGE_AND_PATH_CASES: Case[] = [
  ...(
    [
      ["/account/login", { email: EMAIL, password: SECRET }],
      ["/account/register", { email: EMAIL, password: SECRET }],
      ["/account/forgot", { email: EMAIL }],
      ["/account/reset", { email: EMAIL, reset_token: "tok", new_password: SECRET }],
    ] as const
  ).flatMap(([path, fields]): Case[] =>
    Object.keys(fields).flatMap((name): Case[] => {
      const value = (fields as Record<string, string>)[name] ?? "";
      return [
        {
          name: `POST ${path} form ${name} with NUL`,
          method: "POST",
          path,
          options: {
            raw: `${new URLSearchParams({ ...fields, [name]: spoiled(value, "\u0000") })}`,
            contentType: FORM,
          },
          status: 400,
          message: NOT_PLAIN_MESSAGE,
        },
        {
          name: `POST ${path} JSON ${name} with a lone surrogate`,
          method: "POST",
          path,
          options: { json: { ...fields, [name]: spoiled(value, "\udbff") } },
          status: 400,
          message: NOT_PLAIN_MESSAGE,
        },
      ];
    }),
  ),
  ...["%00", "%01", "a%1Fb", "%7F"].flatMap((id): Case[] => [
    {
      name: `DELETE /sessions/${id} with a live session`,
      method: "DELETE",
      path: `/sessions/${id}`,
      options: {},
      withSession: true,
      status: 400,
      message: /id must not contain control characters/,
    },
    {
      name: `POST /account/sessions/${id}/revoke with a live session`,
      method: "POST",
      path: `/account/sessions/${id}/revoke`,
      options: {},
      withSession: true,
      status: 400,
      message: /id must not contain control characters/,
    },
  ]),
  {
    name: "GET /account/reset?token=%00",
    method: "GET",
    path: "/account/reset?token=a%00b",
    options: {},
    status: 400,
    message: /token must not contain control characters/,
  },
  {
    // On PostgreSQL both became `sur\ufffd@example.com`: one account.
    name: "POST /users as sur\\ud800@, then POST /sessions as sur\\udbff@",
    method: "POST",
    path: "/users",
    options: { json: { email: "sur\ud800@example.com", password: SECRET } },
    status: 400,
    message: /email must not contain control characters or unpaired surrogates/,
  },
  {
    name: "POST /sessions as sur\\udbff@",
    method: "POST",
    path: "/sessions",
    options: { json: { email: "sur\udbff@example.com", password: SECRET } },
    status: 400,
    message: /email must not contain control characters or unpaired surrogates/,
  },
];

const basic = (text: string) => `Basic ${Buffer.from(text, "utf8").toString("base64")}`;

/** The Authorization header (bearer sessions, Basic logins) and the admin API. */
const HEADER_AND_ADMIN_CASES: Case[] = [
  ...[
    ["not base64", "Basic %%%"],
    ["no colon", basic("no-colon")],
    ["no password", basic(`${EMAIL}:`)],
    ["no email", basic(`:${SECRET}`)],
    ["NUL in the password", basic(`${EMAIL}:pa\u0000ss`)],
    ["a password over 1024 characters", basic(`${EMAIL}:${"x".repeat(1100)}`)],
  ].map(
    ([what, authorization]): Case => ({
      name: `POST /sessions with Basic credentials: ${what}`,
      method: "POST",
      path: "/sessions",
      options: { headers: { authorization: authorization ?? "" } },
      status: 400,
    }),
  ),
  {
    name: "POST /sessions with Basic credentials and a body",
    method: "POST",
    path: "/sessions",
    options: {
      form: { email: EMAIL, password: SECRET },
      headers: { authorization: basic(`${EMAIL}:${SECRET}`) },
    },
    status: 400,
    message: /both/,
  },
  {
    name: "GET /profile with Authorization: Bearer and no token",
    method: "GET",
    path: "/profile",
    options: { headers: { authorization: "Bearer" } },
    status: 400,
  },
  {
    name: "GET /profile with a huge bearer token",
    method: "GET",
    path: "/profile",
    options: { headers: { authorization: `Bearer ${"a".repeat(6000)}` } },
    status: 401,
  },
  {
    name: "GET /admin/users without a key",
    method: "GET",
    path: "/admin/users",
    options: {},
    status: 401,
  },
  ...[
    "limit=abc",
    "limit=0",
    "limit=5000",
    "after=-1",
    "after=1e3",
    "email=a%00b%40example.com",
    "unknown=1",
  ].map(
    (query): Case => ({
      name: `GET /admin/users?${query}`,
      method: "GET",
      path: `/admin/users?${query}`,
      options: {},
      withAdminKey: true,
      status: 400,
    }),
  ),
  ...["abc", "-1", "1.5", "%00", "9".repeat(30)].map(
    (id): Case => ({
      name: `GET /admin/users/${id}`,
      method: "GET",
      path: `/admin/users/${id}`,
      options: {},
      withAdminKey: true,
      status: 400,
    }),
  ),
  ...["since=yesterday", "since=2026-12-31T23:59:60Z", "limit=-5", "email=%01"].map(
    (query): Case => ({
      name: `GET /admin/audit?${query}`,
      method: "GET",
      path: `/admin/audit?${query}`,
      options: {},
      withAdminKey: true,
      status: 400,
    }),
  ),
  ...[
    ["no password", { email: EMAIL }],
    ["a number for the email", { email: 42, password: SECRET }],
    ["NUL in the email", { email: "vi\u0000ctim@example.com", password: SECRET }],
    ["an extra field", { email: EMAIL, password: SECRET, admin: true }],
    ["a short password", { email: EMAIL, password: "abc" }],
  ].map(
    ([what, json]): Case => ({
      name: `POST /admin/users with ${what}`,
      method: "POST",
      path: "/admin/users",
      options: { json },
      withAdminKey: true,
      status: 400,
    }),
  ),
  {
    name: "POST /admin/users with text/plain",
    method: "POST",
    path: "/admin/users",
    options: { raw: "x", contentType: "text/plain" },
    withAdminKey: true,
    status: 415,
  },
];

const CASES: Case[] = [
  ...FIELD_ROUTES.flatMap(casesFor),
  ...PAGE_AND_PATH_CASES,
  ...HEADER_AND_ADMIN_CASES,
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

/** One request of the table: a plain request, bounded for a loaded machine. */
const REQUEST_TIMEOUT = { timeout: 15_000 };

for (const factory of await testDatabases()) {
  describe(`bad input always gets a 4xx JSON error, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase | undefined;
    let server: TestServer | undefined;
    let sessionCookie = "";
    let adminKey = "";
    before(async () => {
      if ("skip" in factory) return;
      database = await factory.create();
      server = await startTestServer({ DATABASE_URL: database.url });
      // A live session, so that path parameters reach the session lookup.
      const member = { email: "member@example.com", password: "member-pa55" };
      await request(server.url, "POST", "/users", { form: member });
      const login = await request(server.url, "POST", "/sessions", { form: member });
      sessionCookie = `session_id=${sessionCookieOf(login)}`;
      const scopes = ["users:read", "users:write", "audit:read"];
      adminKey = (await server.service.apiKeys.create({ name: "bad-input", scopes })).key;
    });
    after(async () => {
      try {
        await server?.close();
      } finally {
        await database?.drop();
      }
    });
    const url = (): string => server?.url ?? "";

    for (const c of CASES) {
      test(c.name, REQUEST_TIMEOUT, async () => {
        let options = c.withSession ? { ...c.options, cookie: sessionCookie } : c.options;
        if (c.withAdminKey) {
          options = { ...options, headers: { authorization: `Bearer ${adminKey}` } };
        }
        const r = await request(url(), c.method, c.path, options);
        assert.equal(r.status, c.status, r.text);
        assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
        const body = r.body as { message?: unknown; error?: unknown };
        assert.equal(typeof body.message, "string");
        assert.equal(typeof body.error, "string");
        if (c.message) assert.match(body.message as string, c.message);
        assert.ok(!r.text.includes(SECRET), "the password is never echoed");
      });
    }

    test(
      "a GET with a body: read and dropped; past the body limit, 413",
      REQUEST_TIMEOUT,
      async () => {
        const headers = { "content-type": "application/x-www-form-urlencoded" };
        const small = await send(url(), {
          method: "GET",
          path: "/",
          headers,
          body: Buffer.alloc(10_000, 97),
        });
        assert.equal(small.status, 200);
        const large = await send(url(), {
          method: "GET",
          path: "/metrics",
          headers,
          body: Buffer.alloc(400_000, 97),
        });
        assert.equal(large.status, 413);
        assert.match(large.contentType, /^application\/json/);
        assert.match(large.body, /request body is too large/);
      },
    );

    test(
      "nothing was written by any of them, and the server still serves",
      REQUEST_TIMEOUT,
      async () => {
        const db = server?.service.db;
        assert.ok(db);
        // (`sur\ufffd@` is where PostgreSQL put `sur\ud800@`.)
        for (const email of [
          EMAIL,
          "short@example.com",
          "long@example.com",
          "not-an-email",
          "sur\ufffd@example.com",
        ]) {
          await assert.rejects(db.findUserBy({ email }), NoResultFound);
        }
        const r = await request(url(), "POST", "/users", {
          form: { email: EMAIL, password: SECRET },
        });
        assert.equal(r.status, 200);
        const login = await request(url(), "POST", "/sessions", {
          form: { email: "member@example.com", password: "member-pa55" },
        });
        assert.equal(login.status, 200, "the member's password did not change");
      },
    );
  });
}
