import assert from "node:assert/strict";
import type { TestResponse } from "./http.js";

// What the hosted-page tests read off a page's HTML.

/** The page's error message (role="alert"), or "" when it shows none. */
export function alertOf(response: TestResponse): string {
  return /role="alert">([^<]*)</.exec(response.text)?.[1] ?? "";
}

/** The page's notice (role="status"), or "" when it shows none. */
export function noticeOf(response: TestResponse): string {
  return /role="status">([^<]*)</.exec(response.text)?.[1] ?? "";
}

/** The ids of the inputs that take the focus when the page opens. */
export function focusedFields(response: TestResponse): string[] {
  return [...response.text.matchAll(/<input id="([^"]+)"[^>]*\sautofocus[\s>]/g)].map(
    (match) => match[1] ?? "",
  );
}

/** The attributes of the input with this id, as written. */
export function inputTag(response: TestResponse, id: string): string {
  return new RegExp(`<input id="${id}"[^>]*>`).exec(response.text)?.[0] ?? "";
}

/** A page made for people: HTML, never kept by a cache, under the pages' CSP, with nothing inline. */
export function assertPrivatePage(response: TestResponse, what: string): void {
  assert.match(response.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/, what);
  assert.equal(response.headers.get("cache-control"), "no-store", what);
  assert.match(response.headers.get("content-security-policy") ?? "", /script-src 'self'/, what);
  assertNothingInline(response.text, what);
  for (const [, id] of response.text.matchAll(/<input id="([^"]+)"/g))
    assert.match(response.text, new RegExp(`<label for="${id}">`), `${what}: #${id} has a label`);
}

/**
 * No inline script or style (the CSP would refuse them): no <style>, no
 * style= or on*= attribute, and every <script> an empty element loading a
 * same-origin file (the passkeys' scripts), or a JSON data block the
 * browser never runs (the passkeys' words), holding JSON and no markup.
 */
export function assertNothingInline(text: string, what: string): void {
  assert.doesNotMatch(text, /<style|\sstyle=|\son[a-z]+=/i, what);
  for (const [tag] of text.matchAll(/<script[\s\S]*?<\/script>/gi)) {
    const data = /^<script type="application\/json" id="[a-z-]+">([^<]*)<\/script>$/.exec(tag);
    if (data) {
      assert.doesNotThrow(() => JSON.parse(data[1] ?? ""), `${what}: a data block is JSON`);
      continue;
    }
    assert.match(
      tag,
      /^<script src="\/[^"/][^"]*"( defer| type="module")*><\/script>$/,
      `${what}: ${tag}`,
    );
  }
  const opened = text.match(/<script/gi)?.length ?? 0;
  const closed = text.match(/<script[\s\S]*?<\/script>/gi)?.length ?? 0;
  assert.equal(opened, closed, `${what}: every script is closed at once`);
}

/** The page's <main>: its content, without the header and the language switcher around it. */
export function mainOf(response: TestResponse): string {
  return /<main>([\s\S]*)<\/main>/.exec(response.text)?.[1] ?? "";
}
