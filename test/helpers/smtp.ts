import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A mail as the test SMTP server received it, its body decoded. */
export interface ReceivedMail {
  /** The HTML part, when the mail has one beside its text. */
  html?: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  raw: string;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:<port> */
  url: string;
  mails: ReceivedMail[];
  /** Resolves with the first mail (from now on, or already received) that matches. */
  waitForMail(match: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Refuse the next `count` messages with a temporary SMTP error (451). */
  refuseNext(count: number): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server in the test process (the `smtp-server` package): the
 * service talks SMTP to it over TCP, as to any mail relay. No TLS, no auth.
 */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let refusals = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (refusals > 0) {
          refusals -= 1;
          const error = new Error("try again later") as Error & { responseCode: number };
          error.responseCode = 451;
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          subject: decodeWords(headerOf(raw, "subject")),
          ...partsOf(raw),
          raw,
        });
        for (const wake of waiters) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    refuseNext(count) {
      refusals = count;
    },
    waitForMail(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = mails.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching mail within ${timeoutMs} ms (${mails.length} received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** RFC 2047 encoded words (a subject in German: "=?UTF-8?Q?Ihr_Konto_wurde_gel=C3=B6scht?="), decoded. */
function decodeWords(header: string): string {
  return header
    .replaceAll(/\?=\s+=\?/g, "?==?")
    .replaceAll(
      /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
      (_, _charset: string, kind: string, text: string) =>
        kind.toUpperCase() === "B"
          ? Buffer.from(text, "base64").toString("utf8")
          : Buffer.from(
              text
                .replaceAll("_", " ")
                .replaceAll(/=([0-9A-F]{2})/gi, (_match, hex: string) =>
                  String.fromCharCode(Number.parseInt(hex, 16)),
                ),
              "latin1",
            ).toString("utf8"),
    );
}

function headerOf(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? "";
  const unfolded = head.replaceAll(/\r?\n[ \t]+/g, " ");
  const match = new RegExp(`^${name}:\\s*(.*)$`, "im").exec(unfolded);
  return match?.[1]?.trim() ?? "";
}

/**
 * The text (and HTML, if any) of a mail: its body when it is a single part,
 * else its text/plain and text/html parts (multipart/alternative).
 */
function partsOf(raw: string): { text: string; html?: string } {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headerOf(raw, "content-type"))?.[1];
  if (!boundary) return { text: bodyOf(raw) };
  const parts = raw.split(`--${boundary}`).slice(1, -1);
  const typed = (type: string) =>
    parts.find((part) => headerOf(part.replace(/^\r?\n/, ""), "content-type").startsWith(type));
  const text = typed("text/plain");
  const html = typed("text/html");
  return {
    text: text ? bodyOf(text.replace(/^\r?\n/, "")) : "",
    ...(html ? { html: bodyOf(html.replace(/^\r?\n/, "")) } : {}),
  };
}

/** The body of a single-part text mail, quoted-printable or base64 decoded. */
function bodyOf(raw: string): string {
  const separator = /\r?\n\r?\n/.exec(raw);
  const body = separator ? raw.slice(separator.index + separator[0].length) : "";
  const encoding = headerOf(raw, "content-transfer-encoding").toLowerCase();
  if (encoding === "quoted-printable") {
    const bytes = body
      .replaceAll(/=\r?\n/g, "")
      .replaceAll(/=([0-9A-F]{2})/gi, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      );
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  if (encoding === "base64") return Buffer.from(body, "base64").toString("utf8");
  return body;
}

/** The reset link and token a reset mail carries. */
export function resetLinkOf(mail: ReceivedMail): { link: URL; token: string } {
  const match = /^(https?:\/\/\S+\/account\/reset\?token=\S+)$/m.exec(mail.text);
  if (!match?.[1]) throw new Error(`no reset link in:\n${mail.text}`);
  const link = new URL(match[1]);
  return { link, token: link.searchParams.get("token") ?? "" };
}

/** What production mode needs to start, with its mail going to this test server. */
export function productionMailEnv(smtp: TestSmtpServer): Record<string, string> {
  return {
    AUTH_MODE: "production",
    SMTP_URL: smtp.url,
    MAIL_FROM: "no-reply@example.test",
    PUBLIC_URL: "https://auth.example.test",
    SECRET_KEY: TEST_SECRET_KEY,
    // Production requires verified addresses; tests about other things log
    // in right after registering (test/http/email-verification*.test.ts
    // exercise production's default).
    EMAIL_VERIFICATION: "off",
  };
}

/** A SECRET_KEY for tests (production refuses to start without one). */
export const TEST_SECRET_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
