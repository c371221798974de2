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

/** The value of the session cookie a response sets, or undefined. */
export function sessionCookieOf(response: TestResponse, name = "session_id"): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    if (line.startsWith(`${name}=`)) return line.slice(name.length + 1).split(";")[0];
  }
  return undefined;
}
