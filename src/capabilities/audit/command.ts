import { parseArgs } from "node:util";
import type { AuditReader } from "../../core/audit-log.js";
import type { OpenService } from "../../core/commands.js";
import { parseDuration } from "../../platform/text/duration.js";
import { terminalJson, terminalText } from "../../platform/text/terminal-escape.js";
import type { AuditEntry } from "./audit.js";

export const AUDIT_USAGE = `Usage: auth-service audit [--email EMAIL] [--since TIME] [--limit N] [--json]

Prints the audit trail of DATABASE_URL, oldest first: registrations, logins
(success, failure, throttled, busy), logouts, reset requests and completions,
password changes, and the operator's user deletions and session revocations,
each with the user id, email, client address and user agent.

  --email EMAIL  only this email's events (matched case-insensitively)
  --since TIME   an ISO date or time (2026-11-01, 2026-11-01T09:00Z), or a
                 duration back from now (90m, 24h, 7d)
  --limit N      at most N events (default 1000)
  --json         one JSON object per line instead of columns

Rows older than AUDIT_RETENTION (default 90d) are deleted by the service.`;

/** `auth-service audit`: reads the trail; exit code 2 for bad arguments. */
export async function auditCommand(
  open: OpenService<{ audit: AuditReader }>,
  args: string[],
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: "string" },
      since: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(AUDIT_USAGE);
    return 0;
  }
  const since = values.since === undefined ? undefined : parseSince(values.since, new Date());
  const limit = values.limit === undefined ? 1000 : Number(values.limit);
  if (since === null || !Number.isSafeInteger(limit) || limit < 1) {
    console.error(
      `auth-service: --since takes a date or a duration, --limit a positive integer\n\n${AUDIT_USAGE}`,
    );
    return 2;
  }
  // Reading the trail is not itself a change to record.
  const service = await open({ audit: false });
  try {
    const entries = await service.audit.list({ email: values.email, since, limit });
    for (const entry of entries)
      console.log(values.json ? terminalJson(entry) : formatEntry(entry));
    return 0;
  } finally {
    await service.close();
  }
}

/** "2026-11-01", "2026-11-01T09:00Z" or "24h" (that long before `now`); null when neither. */
export function parseSince(text: string, now: Date): Date | null {
  const duration = parseDuration(text);
  if (Number.isSafeInteger(duration)) return new Date(now.getTime() - duration);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function formatEntry(entry: AuditEntry): string {
  return [
    entry.at.toISOString(),
    entry.event.padEnd(16),
    entry.outcome.padEnd(9),
    `user=${entry.userId ?? "-"}`,
    `email=${terminalText(entry.email ?? "-")}`,
    `ip=${terminalText(entry.ip ?? "-")}`,
    `agent=${terminalJson(entry.userAgent ?? "")}`,
    ...(entry.repeats > 1 ? [`repeated=${entry.repeats}`] : []),
  ].join("  ");
}
