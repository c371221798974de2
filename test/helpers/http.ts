import type { FastifyInstance } from "fastify";

/** What a test needs of a response: status, headers, and the body parsed when it is JSON. */
export interface TestResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export interface RequestOptions {
  form?: Record<string, string>;
  json?: unknown;
  /** Sent as is, with `contentType`. */
  raw?: string | Uint8Array;
  contentType?: string;
  cookie?: string;
  headers?: Record<string, string>;
  /** Follow redirects (as the original client's `requests` does). Off by default. */
  follow?: boolean;
}

/**
 * Services the tests reach in process (`app.inject`, no socket), by the
 * `inject://<n>` address startTestApp gives them: a test written against a
 * URL runs either way.
 */
const inProcess = new Map<string, FastifyInstance>();
let apps = 0;

/** An address for `request` that reaches this app in process; forget it when done. */
export function injectAddress(app: FastifyInstance): { url: string; forget(): void } {
  const url = `inject://app-${++apps}`;
  inProcess.set(url, app);
  return { url, forget: () => inProcess.delete(url) };
}

/**
 * One request, to a URL over the network or to an `inject://` app in
 * process (following no redirects there).
 */
export async function request(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Uint8Array | undefined;
  if (options.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.form).toString();
  } else if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) {
    body = options.raw;
  }
  if (options.contentType) headers["content-type"] = options.contentType;
  if (options.cookie) headers.cookie = options.cookie;
  const app = inProcess.get(baseUrl);
  if (app) return injected(app, method, path, headers, body);
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    body,
    redirect: options.follow ? "follow" : "manual",
  });
  const text = await response.text();
  let parsed: unknown = text;
  if (response.headers.get("content-type")?.startsWith("application/json"))
    parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

async function injected(
  app: FastifyInstance,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
): Promise<TestResponse> {
  const response = await app.inject({
    method: method as "GET",
    url: path,
    headers,
    payload: body === undefined ? undefined : Buffer.from(body),
  });
  // As fetch's: one Headers object, Set-Cookie lines kept apart.
  const answer = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) answer.append(name, String(one));
  }
  const text = response.body;
  const parsed: unknown = answer.get("content-type")?.startsWith("application/json")
    ? JSON.parse(text)
    : text;
  return { status: response.statusCode, headers: answer, body: parsed, text };
}

/** The value of the session cookie a response sets, or undefined. */
export function sessionCookieOf(response: TestResponse, name = "session_id"): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    if (line.startsWith(`${name}=`)) return line.slice(name.length + 1).split(";")[0];
  }
  return undefined;
}

/** A new user, registered and signed in through `baseUrl`: its email, password and cookie header. */
export async function signedInUser(
  baseUrl: string,
  email = `user-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`,
  password = "a strong passphrase",
): Promise<{ email: string; password: string; cookie: string }> {
  const form = { email, password };
  const registered = await request(baseUrl, "POST", "/users", { form });
  if (registered.status !== 200) throw new Error(`registration answered ${registered.status}`);
  const login = await request(baseUrl, "POST", "/sessions", { form });
  const token = sessionCookieOf(login);
  if (login.status !== 200 || !token) throw new Error(`login answered ${login.status}`);
  return { email, password, cookie: `session_id=${token}` };
}
