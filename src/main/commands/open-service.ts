import type { OpenService } from "../../core/commands.js";
import { loadConfig } from "../config.js";
import { type AuthService, createAuth } from "../create-auth.js";

/**
 * The service a capability's command works on: opened on DATABASE_URL with
 * the settings, SECRET_KEY and webhook timings of the environment; the
 * command closes it.
 */
export const openService: OpenService<AuthService & { publicUrl: string }> = async ({
  audit = true,
} = {}) => {
  const config = loadConfig();
  const service = await createAuth({
    ...config.auth,
    databaseUrl: config.databaseUrl,
    secretKey: config.secretKey,
    webhooks: config.webhooks,
    social: { allowedHosts: config.socialAllowedHosts },
    audit,
  });
  // Where a provider sends the browser back (`provider add` prints it).
  return Object.assign(service, {
    publicUrl: config.publicUrl ?? `http://localhost:${config.port}`,
  });
};
