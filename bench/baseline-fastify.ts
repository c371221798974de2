// The baseline every HTTP figure is compared with: bare Fastify from the same
// node_modules, answering {"message":"Bienvenue"} (and /health for start-up).
// It keeps a nextTick entry alive as the service does (src/platform/runtime/tick-object-maps.ts):
// without it, an idle spell between runs can put the baseline into V8's slow
// nextTick state, which would flatter every ratio.
import Fastify from "fastify";
import { keepTickObjectMapsAlive } from "../src/platform/runtime/tick-object-maps.js";

keepTickObjectMapsAlive();
const app = Fastify({ logger: false });
app.get("/", async () => ({ message: "Bienvenue" }));
app.get("/health", async () => ({ status: "ok" }));
await app.listen({ port: Number(process.env.PORT ?? 5999), host: "127.0.0.1" });
process.on("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
