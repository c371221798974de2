import http from "node:http";
import fc from "fast-check";

/** One request as the fuzzer sends it: anything a client could put on the wire. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface FuzzResponse {
  status: number;
  contentType: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}

const ROUTES = [
  "/",
  "/users",
  "/sessions",
  "/sessions/abc",
  "/profile",
  "/profile/password",
  "/mfa",
  "/mfa/totp",
  "/mfa/totp/setup",
  "/mfa/totp/confirm",
  "/mfa/recovery-codes",
  "/sessions/mfa",
  "/account/mfa",
  "/account/mfa/setup",
  "/account/login/mfa",
  "/passkeys",
  "/passkeys/abc",
  "/passkeys/registration/options",
  "/passkeys/registration",
  "/passkeys/authentication/options",
  "/passkeys/authentication",
  "/passkeys/reauthentication/options",
  "/account/passkeys/abc/rename",
  "/account/passkeys/abc/remove",
  "/account/passkeys/passkeys.js",
  "/reset_password",
  "/health",
  "/ready",
  "/openapi.json",
  "/metrics",
  "/account",
  "/account/register",
  "/account/login",
  "/account/logout",
  "/account/forgot",
  "/account/reset",
  "/account/sessions/abc/revoke",
  "/admin/users",
  "/admin/users?limit=2&after=0",
  "/admin/users/999999",
  "/admin/users/999999/sessions",
  "/admin/users/999999/second-factors",
  "/admin/audit",
  "/admin/audit?since=2026-01-01T00:00:00Z&limit=5",
];

/**
 * Stands for a live admin API key in an Authorization header: the test makes
 * one per server and send() puts it in, so fuzzed requests reach the admin
 * routes' own validation, not only their 401.
 */
export const ADMIN_KEY_PLACEHOLDER = "__ADMIN_KEY__";

const FIELDS = [
  "email",
  "password",
  "new_password",
  "reset_token",
  "current_password",
  "code",
  "mfa_token",
  "response",
  "name",
];

/** Header values must be latin-1 without control characters, or Node refuses to send them. */
const headerText = fc
  .string({ unit: "binary", maxLength: 200 })
  .map((text) =>
    [...Buffer.from(text, "utf8").toString("latin1")]
      .filter((char) => char >= " " && char !== "\u007f")
      .join(""),
  );

const hugeText = fc
  .tuple(fc.constantFrom("a", "é", "😀", "\u0000", "%"), fc.integer({ min: 1000, max: 90_000 }))
  .map(([unit, count]) => unit.repeat(count));

/**
 * Text with what no field may hold: a C0 control, DEL or a lone surrogate
 * (fast-check's "binary" unit never makes one), often inside an email, where
 * it reached the database (PostgreSQL answered NUL with a 500).
 */
const notPlainText = fc
  .tuple(
    fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 0x1f }),
      fc.constant(0x7f),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    ),
    fc.string({ maxLength: 10 }),
    fc.constantFrom("", "@example.com", "b4l0u"),
  )
  .map(([code, text, tail]) => `${text}${String.fromCharCode(code)}${tail}`);

const fieldValue = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.emailAddress(),
  fc.constantFrom("b4l0u", "", " ", "a@b", "@", "x".repeat(73), "ｐａｓｓ", "NaN"),
  notPlainText,
  fc.constantFrom("nul\u0000@example.com", "sur\ud800@example.com", "sur\udbff@example.com"),
  hugeText,
);

/**
 * A value as a form field's text. fast-check makes some objects without a
 * prototype, which String() cannot convert (it throws): those go as JSON.
 */
function formText(value: unknown): string {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/** Fields the routes know, sometimes with junk beside them, values of any JSON type. */
const fields = fc.dictionary(
  fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })),
  fc.oneof(fieldValue, fc.jsonValue({ maxDepth: 3 })),
  { maxKeys: 5 },
);

const body = fc.oneof(
  fields.map((value) => ({ type: "application/json", data: JSON.stringify(value) })),
  fields.map((value) => ({
    type: "application/x-www-form-urlencoded",
    data: new URLSearchParams(
      Object.entries(value).map(([key, item]): [string, string] => [key, formText(item)]),
    ).toString(),
  })),
  fc.record({
    type: fc.constantFrom(
      "application/json",
      "application/x-www-form-urlencoded",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/json; charset=utf-16",
      "",
    ),
    data: fc.oneof(fc.string({ unit: "binary", maxLength: 500 }), hugeText, fc.json()),
  }),
);

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  fc
    .tuple(fc.constantFrom(...ROUTES), fc.webSegment())
    .map(([route, segment]) => `${route}/${segment}`),
  fc.webPath(),
  fc
    .tuple(fc.constantFrom(...ROUTES), fc.string({ unit: "grapheme", maxLength: 30 }))
    .map(([route, query]) => `${route}?${encodeURIComponent(query)}=${encodeURIComponent(query)}`),
  fc.string({ unit: "grapheme", maxLength: 40 }).map((text) => `/${encodeURIComponent(text)}`),
  fc.constantFrom(
    "/%",
    "/%zz",
    "//users",
    "/users/../profile",
    "/sessions/%00",
    "/..%2f",
    "/sessions/%ZZ",
    "/sessions/%ED%A0%80",
    "/account/sessions/%00/revoke",
    `/sessions/${"x".repeat(120)}`,
    "/account/reset?token=%00",
  ),
);

const cookie = fc.oneof(
  fc.constant(undefined),
  fc.base64String({ maxLength: 60 }).map((token) => `session_id=${token}`),
  headerText,
  fc.constantFrom("session_id=", "session_id", "session_id=a; session_id=b", "=;=;"),
);

/** Each route that reads fields, with exactly its fields: the requests that get past the schema. */
const FIELD_ROUTES: [string, string, string[]][] = [
  ["POST", "/users", ["email", "password"]],
  ["POST", "/sessions", ["email", "password"]],
  ["POST", "/reset_password", ["email"]],
  ["PUT", "/reset_password", ["email", "reset_token", "new_password"]],
  ["PUT", "/profile/password", ["current_password", "new_password"]],
  ["POST", "/mfa/totp/confirm", ["code", "password"]],
  ["DELETE", "/mfa/totp", ["password"]],
  ["POST", "/mfa/recovery-codes", ["password"]],
  ["POST", "/sessions/mfa", ["mfa_token", "code"]],
  ["POST", "/account/login/mfa", ["mfa_token", "code"]],
  ["POST", "/account/register", ["email", "password"]],
  ["POST", "/account/login", ["email", "password"]],
  ["POST", "/account/forgot", ["email"]],
  ["POST", "/account/reset", ["email", "reset_token", "new_password"]],
  ["POST", "/admin/users", ["email", "password"]],
  ["POST", "/passkeys/registration", ["response"]],
  ["POST", "/passkeys/authentication", ["response"]],
  ["PUT", "/passkeys/abc", ["name"]],
  ["DELETE", "/passkeys/abc", ["password"]],
];

/**
 * A route's own fields, each any text (control characters and lone surrogates
 * included), as JSON or as a form: what reaches the lookups and the database.
 */
const wellFormedRequest: fc.Arbitrary<FuzzRequest> = fc
  .constantFrom(...FIELD_ROUTES)
  .chain(([method, path, names]) =>
    fc.record({
      method: fc.constant(method),
      path: fc.constant(path),
      values: fc.tuple(...names.map(() => fieldValue)),
      names: fc.constant(names),
      json: fc.boolean(),
    }),
  )
  .map(({ method, path, names, values, json }) => {
    const fields = Object.fromEntries(names.map((name, i) => [name, values[i] ?? ""]));
    const text = json ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
    const type = json ? "application/json" : "application/x-www-form-urlencoded";
    const headers: Record<string, string> = { "content-type": type };
    if (path.startsWith("/admin")) headers.authorization = `Bearer ${ADMIN_KEY_PLACEHOLDER}`;
    return { method, path, headers, body: Buffer.from(text, "utf8") };
  });

/** A Basic login with any text for email and password (RFC 7617: base64 of UTF-8). */
const basicLogin: fc.Arbitrary<FuzzRequest> = fc
  .tuple(fieldValue, fieldValue, fc.boolean())
  .map(([email, password, withBody]) => ({
    method: "POST",
    path: "/sessions",
    headers: {
      authorization: `Basic ${Buffer.from(`${email}:${password}`, "utf8").toString("base64")}`,
      ...(withBody ? { "content-type": "application/json" } : {}),
    },
    body: withBody ? Buffer.from(JSON.stringify({ email, password }), "utf8") : undefined,
  }));

/** Authorization headers of every kind: junk, Basic and Bearer of any bytes, a live admin key. */
const authorization = fc.oneof(
  headerText,
  fc.base64String({ maxLength: 80 }).map((text) => `Basic ${text}`),
  headerText.map((text) => `Basic ${text}`),
  fc.base64String({ maxLength: 80 }).map((text) => `Bearer ${text}`),
  headerText.map((text) => `Bearer ${text}`),
  fc.constantFrom("Bearer", "Basic", "Bearer ", "bearer x", `Bearer ${ADMIN_KEY_PLACEHOLDER}`),
);

const anyRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE") },
      fc.constantFrom("PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND"),
    ),
    path,
    body: fc.option(body, { nil: undefined }),
    cookie,
    origin: fc.option(fc.constantFrom("https://evil.example", "null", "http://127.0.0.1"), {
      nil: undefined,
    }),
    userAgent: fc.option(headerText, { nil: undefined }),
    authorization: fc.option(authorization, { nil: undefined, freq: 3 }),
  })
  .map(({ method, path, body, cookie, origin, userAgent, authorization }) => {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers.authorization = authorization;
    if (body?.type) headers["content-type"] = body.type;
    if (cookie !== undefined) headers.cookie = cookie;
    if (origin !== undefined) headers.origin = origin;
    if (userAgent !== undefined) headers["user-agent"] = userAgent;
    return { method, path, headers, body: body ? Buffer.from(body.data, "utf8") : undefined };
  });

/**
 * A body around and past the fuzz servers' BODY_LIMIT (64 KiB) with any
 * method, GET and HEAD included: reading and refusing such a body once raced
 * with the request log and crashed the process.
 */
const oversizedRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
    path: fc.constantFrom(...ROUTES),
    size: fc.oneof(
      fc.constantFrom(65_536, 65_537, 70_000),
      fc.integer({ min: 60_000, max: 300_000 }),
    ),
    type: fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain"),
  })
  .map(({ method, path, size, type }) => ({
    method,
    path,
    headers: { "content-type": type },
    body: Buffer.alloc(size, 97),
  }));

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 6, arbitrary: anyRequest },
  { weight: 1, arbitrary: oversizedRequest },
  { weight: 2, arbitrary: wellFormedRequest },
  { weight: 1, arbitrary: basicLogin },
);

/**
 * Sends exactly this request (no fetch normalisation) on a fresh connection,
 * with `adminKey` in place of ADMIN_KEY_PLACEHOLDER.
 */
export function send(baseUrl: string, fuzz: FuzzRequest, adminKey = ""): Promise<FuzzResponse> {
  const url = new URL(baseUrl);
  const authorization = fuzz.headers.authorization?.replace(ADMIN_KEY_PLACEHOLDER, adminKey);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: fuzz.method,
        path: fuzz.path,
        headers: {
          ...fuzz.headers,
          ...(authorization === undefined ? {} : { authorization }),
          ...(fuzz.body ? { "content-length": String(fuzz.body.length) } : {}),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(fuzz.body);
  });
}

/**
 * What every answer must be: below 500, with a request id and the security
 * headers, and a JSON message when it is an error (or the page, for /account forms).
 */
export function problemWith(fuzz: FuzzRequest, response: FuzzResponse): string | null {
  if (response.status >= 500) return `status ${response.status}: ${response.body.slice(0, 200)}`;
  if (!response.headers["x-request-id"]) return `answer ${response.status} without x-request-id`;
  if (response.headers["x-content-type-options"] !== "nosniff")
    return `answer ${response.status} without the security headers`;
  // The hosted pages answer their form errors as the page again, in HTML.
  const page = fuzz.path.startsWith("/account") && response.contentType.startsWith("text/html");
  if (response.status >= 400 && fuzz.method !== "HEAD" && !page) {
    if (!response.contentType.startsWith("application/json"))
      return `error ${response.status} is ${response.contentType || "untyped"}, not JSON`;
    try {
      const parsed = JSON.parse(response.body) as { message?: unknown };
      if (typeof parsed.message !== "string") return `error ${response.status} without a message`;
    } catch {
      return `error ${response.status} body is not JSON`;
    }
  }
  return null;
}
