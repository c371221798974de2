/**
 * Who may import whom in src/ (docs/ARCHITECTURE.md):
 *
 *   platform/            imports only platform/
 *   core/                imports core/ and platform/
 *   capabilities/<name>/ imports its own folder, core/ and platform/: never
 *                        another capability (it hears them through events)
 *   main/, the entries   import anything: they compose the service
 */
export type Layer =
  | { kind: "platform" }
  | { kind: "core" }
  | { kind: "capability"; name: string }
  | { kind: "main" };

/** The layer of a path relative to src/, e.g. "capabilities/webhooks/worker.ts". */
export function layerOf(path: string): Layer {
  const [top, name] = path.split("/");
  if (top === "platform") return { kind: "platform" };
  if (top === "core") return { kind: "core" };
  if (top === "capabilities" && name) return { kind: "capability", name };
  return { kind: "main" };
}

/** Why `from` may not import `to` (paths relative to src/), or null when it may. */
export function forbiddenImport(from: string, to: string): string | null {
  const source = layerOf(from);
  const target = layerOf(to);
  if (source.kind === "main") return null;
  if (target.kind === "main") return `${from} imports ${to}: nothing below main/ may`;
  if (source.kind === "platform" && target.kind !== "platform")
    return `${from} imports ${to}: platform/ knows no domain`;
  if (source.kind === "core" && target.kind === "capability")
    return `${from} imports ${to}: the core knows no capability`;
  if (source.kind === "capability" && target.kind === "capability" && source.name !== target.name)
    return `${from} imports ${to}: a capability never imports another`;
  return null;
}
