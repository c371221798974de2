import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "../../src/platform/http/logger.js";
import type { TestDatabaseFactory } from "./databases.js";
import { request, sessionCookieOf } from "./http.js";
import { startTestServer, type TestServer } from "./server.js";
import {
  productionMailEnv,
  type ReceivedMail,
  resetLinkOf,
  startSmtpServer,
  type TestSmtpServer,
} from "./smtp.js";

export const VERIFY_SUBJECT = "Verify your email address";
export const CHANGE_SUBJECT = "Confirm your new email address";
export const RESET_SUBJECT = "Reset your password";

/**
 * The link of a verification or change mail, checked to be the same in its
 * text part (a line of its own) and its HTML part (the button's href), and
 * built on PUBLIC_URL.
 */
export function linkIn(mail: ReceivedMail, path: string): { path: string; token: string } {
  const escaped = path.replaceAll("/", "\\/");
  const base = "https:\\/\\/auth\\.example\\.test";
  const text = new RegExp(`^(${base}${escaped}\\?token=\\S+)$`, "m").exec(mail.text)?.[1];
  const html = new RegExp(`href="(${base}${escaped}\\?token=[^"]+)"`).exec(mail.html ?? "")?.[1];
  assert.ok(text, `a link in the text part:\n${mail.text}`);
  assert.equal(html, text, "the HTML part carries the same link");
  const url = new URL(text);
  const token = url.searchParams.get("token") ?? "";
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  return { path: `${url.pathname}${url.search}`, token };
}

/**
 * A production server (mail through the in-process SMTP server, verified
 * addresses required) on a fresh database of `factory`, with what its tests
 * ask of it: the mails to an address, verified users, reset links.
 */
export interface ProductionFixture {
  server: TestServer;
  smtp: TestSmtpServer;
  url: string;
  mailsTo(email: string, subject: string): ReceivedMail[];
  /** The n-th mail (from 1) with this subject to this address, once it has arrived. */
  nthMail(email: string, subject: string, n?: number): Promise<ReceivedMail>;
  /** Every queued mail sent: what has not arrived by now was never queued. */
  sent(): Promise<void>;
  /** A registered user whose address is verified through its mailed link. */
  verifiedUser(email: string, password: string): Promise<void>;
  /** A password login's session cookie (`session_id=...`). */
  logIn(email: string, password: string): Promise<string>;
  /** A password reset through the mailed link (the n-th reset mail to the address). */
  resetPassword(email: string, newPassword: string, n?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startProduction(
  factory: TestDatabaseFactory,
  env: Record<string, string> = {},
  options: { now?: () => Date } = {},
): Promise<ProductionFixture> {
  if ("skip" in factory) throw new Error(factory.skip);
  const database = await factory.create();
  const smtp = await startSmtpServer();
  let server: TestServer;
  try {
    server = await startTestServer(
      {
        ...productionMailEnv(smtp),
        DATABASE_URL: database.url,
        EMAIL_VERIFICATION: "required",
        ...env,
      },
      options,
    );
  } catch (error) {
    await smtp.close();
    await database.drop();
    throw error;
  }
  const url = server.url;
  const mailsTo = (email: string, subject: string) =>
    smtp.mails.filter((mail) => mail.to.includes(email) && mail.subject === subject);
  const nthMail = async (email: string, subject: string, n = 1) => {
    await smtp.waitForMail(() => mailsTo(email, subject).length >= n);
    return mailsTo(email, subject)[n - 1] as ReceivedMail;
  };
  const logIn = async (email: string, password: string) => {
    const r = await request(url, "POST", "/sessions", { json: { email, password } });
    assert.equal(r.status, 200, r.text);
    return `session_id=${sessionCookieOf(r)}`;
  };
  return {
    server,
    smtp,
    url,
    mailsTo,
    nthMail,
    logIn,
    sent: async () => server.service.outbox?.drain(),
    async verifiedUser(email, password) {
      const r = await request(url, "POST", "/users", { json: { email, password } });
      assert.equal(r.status, 200, r.text);
      const { token } = linkIn(await nthMail(email, VERIFY_SUBJECT), "/account/verify");
      const verified = await request(url, "POST", "/users/verify", { json: { token } });
      assert.equal(verified.status, 200, verified.text);
    },
    async resetPassword(email, newPassword, n = 1) {
      const asked = await request(url, "POST", "/reset_password", { json: { email } });
      assert.equal(asked.status, 200, asked.text);
      const { token } = resetLinkOf(await nthMail(email, RESET_SUBJECT, n));
      const done = await request(url, "PUT", "/reset_password", {
        json: { email, reset_token: token, new_password: newPassword },
      });
      assert.equal(done.status, 200, done.text);
    },
    async close() {
      try {
        await server.close();
        await smtp.close();
      } finally {
        await database.drop();
      }
    },
  };
}

/** A production server on the default test database whose every log line (trace level) the test reads. */
export interface LoggedProduction {
  server: TestServer;
  smtp: TestSmtpServer;
  /** Every line the server logged, for the tests that look for secrets in them. */
  lines: string[];
  close(): Promise<void>;
}

/** Mail through the in-process SMTP server, /metrics behind a token, the log kept in `lines`. */
export async function startLoggedProduction(): Promise<LoggedProduction> {
  const smtp = await startSmtpServer();
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const server = await startTestServer(
    { ...productionMailEnv(smtp), METRICS_TOKEN: "scrape-token-for-tests" },
    { logger: createLogger("trace", sink) },
  ).catch(async (error: unknown) => {
    await smtp.close();
    throw error;
  });
  return {
    server,
    smtp,
    lines,
    async close() {
      await server.close();
      await smtp.close();
    },
  };
}
