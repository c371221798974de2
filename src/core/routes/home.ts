import type { FastifyInstance } from "fastify";
import { messageResponse } from "../http/schemas.js";

export async function homeRoutes(app: FastifyInstance): Promise<void> {
  app.get("/", { schema: { response: { 200: messageResponse } } }, async () => ({
    message: "Bienvenue",
  }));
}
