import nodemailer from "nodemailer";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** An HTML part beside the text, for mails whose link reads better as a button. */
  html?: string;
}

/** What the outbox sends through: SMTP in the service, anything in a test that injects a fault. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/**
 * nodemailer over SMTP. `smtp://` upgrades with STARTTLS when the server
 * offers it, `smtps://` is TLS from the start. Timeouts are far below
 * nodemailer's defaults (2 min to connect, 10 min idle): a hung mail server
 * must turn into a retry, not a sender stuck for minutes.
 */
export function smtpTransport(smtpUrl: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport(
    {
      url: smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    },
    { from },
  );
  return {
    async send(message) {
      // An object, not a string: nodemailer parses a string recipient as an
      // address list ("x<y@evil.test>" is y@evil.test), an object it takes whole.
      await transporter.sendMail({ ...message, to: { name: "", address: message.to } });
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * The mail options of createAuth from the configuration: SMTP when
 * SMTP_URL, MAIL_FROM and PUBLIC_URL are set, else none.
 */
export function mailOptionsOf(config: {
  mail?: { smtpUrl: string; from: string } | undefined;
  publicUrl?: string | undefined;
}): { transport: MailTransport; publicUrl: string } | undefined {
  if (!config.mail || !config.publicUrl) return undefined;
  return {
    transport: smtpTransport(config.mail.smtpUrl, config.mail.from),
    publicUrl: config.publicUrl,
  };
}
