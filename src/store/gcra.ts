/**
 * The Generic Cell Rate Algorithm, as one pure step. A key stores only its
 * "theoretical arrival time" (TAT): a burst of `limit` requests is allowed, then one
 * every `windowMs / limit`. Drivers run this step atomically (inside an LMDB write
 * transaction; the Redis driver runs the same arithmetic in Lua), which is what makes
 * the limit exact across processes.
 *
 * Times are microseconds since GCRA_EPOCH_US, kept as doubles and stored unrounded:
 * counting from 2025 instead of 1970 keeps the numbers near 1e14, where a double
 * resolves ~0.01 µs, so `limit` additions of the interval land on the window exactly
 * (rounding each step would drift by up to 1 µs per request and refuse the last one
 * of a burst). TOLERANCE_US absorbs the remaining floating-point error.
 */
import type { RateLimitResult } from './store.js';

export const GCRA_EPOCH_US = Date.UTC(2025, 0, 1) * 1000;
const TOLERANCE_US = 1;

export interface GcraStep extends RateLimitResult {
  /** The TAT to store when allowed; undefined when refused (nothing changes). */
  newTatUs?: number;
}

export function gcraStep(storedTatUs: number | undefined, nowUs: number, limit: number, windowMs: number): GcraStep {
  const windowUs = windowMs * 1000;
  const intervalUs = windowUs / limit;
  const tat = Math.max(storedTatUs ?? nowUs, nowUs);
  const newTat = tat + intervalUs;
  const ahead = newTat - nowUs;
  if (ahead > windowUs + TOLERANCE_US) {
    return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, Math.ceil((ahead - windowUs) / 1000)) };
  }
  return {
    allowed: true,
    remaining: Math.max(0, Math.floor((windowUs - ahead + TOLERANCE_US) / intervalUs)),
    retryAfterMs: 0,
    newTatUs: newTat,
  };
}

/** Now, in the units gcraStep uses. */
export function gcraNowUs(nowMs: number = Date.now()): number {
  return nowMs * 1000 - GCRA_EPOCH_US;
}
