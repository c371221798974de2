import type { AuditReader } from "../../core/audit-log.js";
import type { Capability } from "../../core/capability.js";
import { auditCommand } from "./command.js";

/** The audit trail: a row per domain event, in each change's transaction; read with `audit`. */
export const audit: Capability<unknown, { audit: AuditReader }> = {
  name: "audit",
  commands: (open) => [
    {
      name: "audit",
      args: "[--email E] [--since T] [--limit N] [--json]",
      summary: "print the audit trail, oldest first",
      run: (args) => auditCommand(open, args),
    },
  ],
};
