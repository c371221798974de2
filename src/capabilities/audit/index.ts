import type { AuditReader } from "../../core/audit-log.js";
import type { Capability } from "../../core/capability.js";
import { auditCommand } from "./command.js";
import { KyselyAuditStore } from "./kysely-store.js";

/** Rows in an export at most: far more than a person's events in the retention period. */
const EXPORT_LIMIT = 100_000;

/** The audit trail: a row per domain event, in each change's transaction; read with `audit`. */
export const audit: Capability<{ audit?: AuditReader }, { audit: AuditReader }> = {
  name: "audit",
  erasure: [KyselyAuditStore.eraseRowsOf],
  // Every row the trail keeps of the user (at most the newest retention period's).
  exportData: async ({ audit: reader }, user) => {
    if (!reader) return undefined;
    const entries = await reader.list({ user, limit: EXPORT_LIMIT });
    return {
      audit_events: entries.map((entry) => ({
        at: entry.at.toISOString(),
        event: entry.event,
        outcome: entry.outcome,
        ip: entry.ip,
        user_agent: entry.userAgent,
        repeats: entry.repeats,
      })),
    };
  },
  commands: (open) => [
    {
      name: "audit",
      args: "[--email E] [--since T] [--limit N] [--json]",
      summary: "print the audit trail, oldest first",
      run: (args) => auditCommand(open, args),
    },
  ],
};
