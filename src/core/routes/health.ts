import type { FastifyInstance } from "fastify";
import type { Accounts } from "../accounts.js";
import { sendError } from "../http/errors.js";
import { errorResponse } from "../http/schemas.js";

const statusResponse = {
  type: "object",
  required: ["status"],
  properties: { status: { type: "string" } },
} as const;

/**
 * /health: the process serves (liveness: restart me if this fails).
 * /ready: and its database answers (readiness: send me traffic).
 */
export async function healthRoutes(
  app: FastifyInstance,
  { auth }: { auth: Accounts },
): Promise<void> {
  app.get("/health", { schema: { response: { 200: statusResponse } } }, async () => ({
    status: "ok",
  }));

  app.get(
    "/ready",
    { schema: { response: { 200: statusResponse, 503: errorResponse } } },
    async (_request, reply) => {
      if (await auth.isDatabaseReady()) return { status: "ready" };
      reply.header("retry-after", "1");
      return sendError(reply, 503, "unavailable", "database unavailable");
    },
  );
}
