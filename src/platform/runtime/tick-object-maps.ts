import { createHook } from "node:async_hooks";

/**
 * Keeps one of `process.nextTick`'s queue entries alive for the life of the
 * process, so that V8 never throws away their object shapes (maps). Called by
 * `auth-service serve`; exported for applications serving HTTP themselves.
 *
 * Node builds every queue entry with one literal with computed keys:
 * `{ [async_id_symbol]: id, [trigger_async_id_symbol]: trigger, callback, args }`
 * on Node 20, the same with `[async_context_frame]` added on Node 22 and 24.
 * Computed keys make V8 record, for each property, the map the object had
 * before it; the optimized code of every caller (stream ends, writes, response
 * ends: several per HTTP request) then adds the properties inline. Feedback and
 * optimized code hold those maps weakly, and an entry lives for one tick only:
 * when a few full collections pass while no entry is alive (an idle moment:
 * start-up, a pause between bursts, the memory reducer), the maps are freed,
 * the next entry gets new ones, and V8 marks those properties megamorphic for
 * good. From then on every entry goes through the runtime (`Runtime_Define-
 * KeyedOwnPropertyInLiteral`, map transitions looked up by name): ~7% of the
 * CPU of `GET /`, ~20% fewer requests per second. Measured after an idle
 * spell (bench/tick-object-maps.ts, 8 fresh processes each): Node 24, 20.8 ->
 * 17.0 us of CPU per request (+18% req/s); Node 22, 23.9 -> 20.2 us (+19%)
 * (docs/PERFORMANCE.md).
 *
 * The entry is caught by a one-off async hook (the public way to see one),
 * enabled for one `nextTick` call only.
 */
let keptTickObject: object | undefined;

export function keepTickObjectMapsAlive(): void {
  if (keptTickObject) return;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === "TickObject") keptTickObject = resource;
    },
  });
  hook.enable();
  try {
    process.nextTick(() => {});
  } finally {
    hook.disable();
  }
}
