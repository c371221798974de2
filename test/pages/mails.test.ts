import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailKind } from "../../src/core/mail-queue.js";
import { serviceMails } from "../../src/main/mails.js";
import { MISSING_MARK } from "../../src/platform/i18n/catalogue.js";
import { LANGUAGES } from "../../src/platform/i18n/languages.js";
import type { MailMessage } from "../../src/platform/mail/transport.js";

// Every mail kind in every language, composed as the outbox composes it:
// no message missing, the subject and text in that language (not English's),
// the link built on PUBLIC_URL, the brand's signature; an unknown or absent
// language falls back to DEFAULT_LANGUAGE.

const composers = serviceMails({
  publicUrl: "https://auth.example.test",
  defaultLanguage: "de",
  brand: { name: "Example Corp", color: "#b3261e" },
  lifetimeMinutes: 30,
  issueResetToken: async (email) => ({ email, token: "reset-token-123" }),
  tokenForMail: async (refId, email) => ({
    email,
    token: "link-token-456",
    purpose: refId === 2 ? "change" : "verify",
  }),
});

const KINDS = Object.keys(composers) as MailKind[];

async function compose(kind: MailKind, language: string | null): Promise<MailMessage> {
  const refId = kind === "email_change" ? 2 : 1;
  const mail = await composers[kind]({
    id: 1,
    kind,
    email: "someone@example.com",
    refId,
    attempts: 1,
    language,
  });
  assert.ok(mail, `${kind} composes a mail`);
  return mail;
}

test("every mail kind, in every language", async () => {
  for (const kind of KINDS) {
    const english = await compose(kind, "en");
    for (const language of LANGUAGES) {
      const mail = await compose(kind, language);
      const where = `${kind} in ${language}`;
      assert.ok(!`${mail.subject}${mail.text}${mail.html ?? ""}`.includes(MISSING_MARK), where);
      assert.match(mail.text, /-- Example Corp$/, `${where}: signed with the brand`);
      if (kind !== "account_deleted")
        assert.match(
          mail.text,
          /https:\/\/auth\.example\.test\//,
          `${where}: a link on PUBLIC_URL`,
        );
      if (language !== "en") {
        assert.notEqual(mail.subject, english.subject, `${where}: its own subject`);
        assert.notEqual(mail.text, english.text, `${where}: its own text`);
      }
    }
  }
});

test("a mail queued without a language (or with an unknown one) is in DEFAULT_LANGUAGE", async () => {
  const german = await compose("password_changed", "de");
  assert.equal((await compose("password_changed", null)).subject, german.subject);
  assert.equal((await compose("password_changed", "xx")).subject, german.subject);
  assert.equal(german.subject, "Ihr Passwort wurde geändert");
});
