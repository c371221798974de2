// The baseline every HTTP figure is compared with: bare Fastify from the same
// node_modules, answering {"message":"Bienvenue"} (and /health for start-up).
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/", async () => ({ message: "Bienvenue" }));
app.get("/health", async () => ({ status: "ok" }));
await app.listen({ port: Number(process.env.PORT ?? 5999), host: "127.0.0.1" });
process.on("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
