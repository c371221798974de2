// The service (compiled dist/) started the way `auth-service serve` does, with
// its process-wide V8 workaround switched by the environment, for
// bench/tick-object-maps.ts: TICK_MAPS=1 applies src/platform/runtime/tick-object-maps.ts.
// SIGUSR2 runs six full collections 10 ms apart (what an idle spell with the
// memory reducer does); it needs --expose-gc.

// The compiled modules, loaded by URL so that type-checking needs no dist/.
const dist = (name: string): string => new URL(`../dist/${name}.js`, import.meta.url).href;
const { loadConfig }: typeof import("../src/main/config.js") = await import(dist("main/config"));
const { startServer }: typeof import("../src/main/server.js") = await import(dist("main/server"));
const { keepTickObjectMapsAlive }: typeof import("../src/platform/runtime/tick-object-maps.js") =
  await import(dist("platform/runtime/tick-object-maps"));

if (process.env.TICK_MAPS === "1") keepTickObjectMapsAlive();
const server = await startServer(loadConfig());
const gc = (globalThis as { gc?: () => void }).gc;
process.on("SIGUSR2", () => {
  let left = 6;
  const collect = (): void => {
    gc?.();
    if (--left > 0) setTimeout(collect, 10);
  };
  collect();
});
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
