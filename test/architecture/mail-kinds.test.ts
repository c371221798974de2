import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailKind } from "../../src/core/mail-queue.js";
import { serviceMails } from "../../src/main/mails.js";
import type { MailComposers } from "../../src/platform/mail/composer.js";

const composers = serviceMails({
  publicUrl: "https://auth.example.test",
  lifetimeMinutes: 30,
  issueResetToken: async () => null,
  tokenForMail: async () => null,
});

// The compile-time half, checked by `npm run typecheck`: a kind the service
// could queue without a composer is a type error, so the line below, which
// adds one, must not compile.
// @ts-expect-error: "welcome" has no message
const _incomplete: MailComposers<MailKind | "welcome"> = composers;

test("every mail kind the service queues has its composer", () => {
  const kinds: Record<MailKind, true> = {
    password_reset: true,
    password_changed: true,
    account_deleted: true,
    second_factor_added: true,
    second_factor_removed: true,
    recovery_code_used: true,
    email_verification: true,
    email_change: true,
    email_change_requested: true,
    email_changed: true,
    passkey_added: true,
    passkey_removed: true,
    passkey_counter_regression: true,
    identity_linked: true,
  };
  assert.deepEqual(Object.keys(composers).sort(), Object.keys(kinds).sort());
});
