/** Store health as several processes see it, in one line of the console. */
import type { StoreHealth } from './stats-types.js';

/** Several processes' view of one store: the slowest ping, and failing if any ping failed. */
export function mergeStoreHealth(list: ReadonlyArray<StoreHealth | null>): StoreHealth | null {
  const known = list.filter((s): s is StoreHealth => s !== null);
  if (known.length === 0) return null;
  const ok = known.every((s) => s.ok);
  const pings = known.flatMap((s) => (s.pingMs === null ? [] : [s.pingMs]));
  return {
    driver: known.find((s) => s.driver !== null)?.driver ?? null,
    seenBy: known[0]!.seenBy,
    ok,
    pingMs: ok && pings.length > 0 ? Math.max(...pings) : null,
  };
}
