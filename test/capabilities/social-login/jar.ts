/**
 * A browser's cookies and redirects, for flows driven over HTTP without
 * Chromium: cookies kept per host and port (path and expiry as the server
 * says: a Max-Age=0 or past Expires drops one), redirects followed by hand.
 */
export class CookieJar {
  readonly #cookies = new Map<string, Map<string, string>>();

  cookieFor(url: string): string {
    const jar = this.#cookies.get(new URL(url).host);
    return jar ? [...jar].map(([name, value]) => `${name}=${value}`).join("; ") : "";
  }

  get(url: string, name: string): string | undefined {
    return this.#cookies.get(new URL(url).host)?.get(name);
  }

  set(url: string, name: string, value: string): void {
    const host = new URL(url).host;
    const jar = this.#cookies.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.#cookies.set(host, jar);
  }

  #store(url: string, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const gone = attributes.some(
        (attribute) =>
          /^max-age=0$/i.test(attribute) ||
          (/^expires=/i.test(attribute) && Date.parse(attribute.slice(8)) < Date.now()),
      );
      const host = new URL(url).host;
      const jar = this.#cookies.get(host) ?? new Map<string, string>();
      if (gone) jar.delete(name);
      else jar.set(name, value);
      this.#cookies.set(host, jar);
    }
  }

  /** One request with this jar's cookies; no redirect followed. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.cookieFor(url);
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    this.#store(url, response);
    return response;
  }

  /**
   * GET `url` and follow redirects until one leads to `stopAt` (not
   * requested) or a page answers. The last response and where it is.
   */
  async follow(
    url: string,
    stopAt?: (url: URL) => boolean,
  ): Promise<{ response: Response; url: string; stoppedAt?: string }> {
    let current = url;
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.fetch(current);
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location)
        return { response, url: current };
      const nextUrl = new URL(location, current).href;
      if (stopAt?.(new URL(nextUrl))) return { response, url: current, stoppedAt: nextUrl };
      current = nextUrl;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** A form posted (urlencoded), redirects not followed. */
  post(url: string, form: Record<string, string>): Promise<Response> {
    return this.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
  }
}
