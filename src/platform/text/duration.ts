const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** "90" (seconds), "500ms", "30s", "15m", "12h", "30d" to milliseconds; NaN otherwise. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * (DURATION_UNITS[match[2] ?? "s"] ?? Number.NaN);
}
