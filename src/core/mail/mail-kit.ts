import { isLanguage, type Language } from "../../platform/i18n/languages.js";
import type { MailMessage } from "../../platform/mail/transport.js";
import { escapeHtml } from "../../platform/text/html-escape.js";
import type { Brand } from "../pages/page-context.js";

/** What every composer of the service's mails is given besides its own settings. */
export interface MailKitOptions {
  publicUrl: string;
  /** The language of a mail queued without one (DEFAULT_LANGUAGE). */
  defaultLanguage?: Language;
  /** The name (and colour) the mails sign with (BRAND_NAME, BRAND_COLOR). */
  brand?: Brand;
}

/** The language a queued mail is written in: its own, else the default. */
export function languageOfMail(
  queued: string | null | undefined,
  options: MailKitOptions,
): Language {
  return isLanguage(queued) ? queued : (options.defaultLanguage ?? "en");
}

/**
 * A mail of paragraphs (a text part, and an HTML part with each paragraph
 * and the link escaped, `button` a link in the brand's colour), signed with
 * the brand's name.
 */
export function brandedMail(
  options: MailKitOptions,
  message: {
    to: string;
    subject: string;
    paragraphs: readonly string[];
    button?: { text: string; link: string };
  },
): MailMessage {
  const brand = options.brand?.name ?? "auth-service";
  const color = options.brand?.color ?? "#2a5db0";
  const { button } = message;
  const text = [...message.paragraphs, "", `-- ${brand}`].join("\n");
  const html = [
    ...message.paragraphs.filter((line) => line !== "").map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(button
      ? [
          `<p><a href="${escapeHtml(button.link)}" style="color: ${escapeHtml(color)}">${escapeHtml(button.text)}</a></p>`,
        ]
      : []),
    `<p>-- ${escapeHtml(brand)}</p>`,
  ].join("\n");
  return { to: message.to, subject: message.subject, text, html };
}

/** The words of a notice of a change to an account, as keys of the sender's catalogue. */
export interface NoticeWords<Key extends string> {
  subject: Key;
  what: Key;
  ifNotYou: Key;
  /** Takes `{link}`: the page to reset the password at once. */
  resetAtOnce: Key;
  /** Takes `{link}`: the account page, to review what else changed. */
  review?: Key;
}

/**
 * A notice of a change to an account: what happened, that nothing is to do if
 * it was the owner, and where to reset the password (and review the account)
 * if not.
 */
export function noticeMail<Key extends string>(
  options: MailKitOptions,
  to: string,
  t: (key: Key, values?: Readonly<Record<string, string>>) => string,
  words: NoticeWords<Key>,
): MailMessage {
  const { publicUrl } = options;
  const paragraphs = [
    t(words.what),
    "",
    t(words.ifNotYou),
    t(words.resetAtOnce, { link: `${publicUrl}/account/forgot` }),
  ];
  if (words.review) paragraphs.push(t(words.review, { link: `${publicUrl}/account` }));
  return brandedMail(options, { to, subject: t(words.subject), paragraphs });
}
