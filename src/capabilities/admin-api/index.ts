import type { Capability } from "../../core/capability.js";
import { API_KEY_SUBCOMMANDS, type ApiKeyCommandService, apiKeyCommand } from "./command.js";
import { type AdminDependencies, adminRoutes } from "./routes.js";

/**
 * API keys and the admin API under /admin (served when the service is given
 * the keys, the operator's user actions and the audit reader), and the
 * `api-key` commands.
 */
export const adminApi: Capability<Partial<AdminDependencies>, ApiKeyCommandService> = {
  name: "admin-api",
  async routes(app, { apiKeys, users, audit }) {
    if (!apiKeys || !users || !audit) return;
    await app.register(adminRoutes, { apiKeys, users, audit, prefix: "/admin" });
  },
  commands: (open) => [
    {
      name: "api-key",
      summary: "keys of the admin API (/admin)",
      subcommands: API_KEY_SUBCOMMANDS,
      run: (args) => apiKeyCommand(open, args),
    },
  ],
};
