import { setFlagsFromString } from "node:v8";

/**
 * V8 settings of the service's own process (`auth-service serve`), never of
 * an application that embeds the library: they are process-wide.
 *
 * `--no-allocation-site-pretenuring`: V8 watches object-literal sites, and
 * when one scavenge finds >= 85% of a site's recent objects still alive it
 * allocates that site's objects in the old generation from then on. Under a
 * burst of concurrent requests it can happen to a site whose objects live for
 * one request only (which site varies from process to process). Those objects
 * then die in the old generation, where only a full mark-compact frees them,
 * and until it runs everything young they point to survives each scavenge and
 * is copied into the old generation too. Measured under wrk on GET /: 5 of 34
 * service processes fell into that state for good (~3 MB promoted per
 * scavenge, scavenges of 4-5 ms instead of 0.4, a mark-compact every 0.6 s,
 * ~30% fewer requests per second); with the flag, none of 30
 * (docs/PERFORMANCE.md).
 * Nothing in a request/response server lives long enough for pretenuring to
 * pay off.
 *
 * Set at run time, before the server starts: V8 reads it at each scavenge.
 */
export const SERVICE_V8_FLAGS = ["--no-allocation-site-pretenuring"] as const;

export function applyServiceV8Flags(): void {
  for (const flag of SERVICE_V8_FLAGS) setFlagsFromString(flag);
}
