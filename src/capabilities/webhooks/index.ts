import type { Capability } from "../../core/capability.js";
import { WEBHOOK_SUBCOMMANDS, type WebhookCommandService, webhookCommand } from "./command.js";

/**
 * Signed webhooks (Standard Webhooks) of the domain's events: written in each
 * change's transaction (an EventRecorder), delivered by a worker, looked
 * after with the `webhook` commands.
 */
export const webhooks: Capability<unknown, WebhookCommandService> = {
  name: "webhooks",
  commands: (open) => [
    {
      name: "webhook",
      summary: "signed webhooks (Standard Webhooks) of user and session events",
      subcommands: WEBHOOK_SUBCOMMANDS,
      run: (args) => webhookCommand(open, args),
    },
  ],
};
