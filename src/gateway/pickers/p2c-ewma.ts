/**
 * Power of two choices on peak-EWMA latency (Finagle, Linkerd): sample two distinct
 * nodes at random and take the cheaper, where cost = latency estimate × (in-flight + 1)
 * ÷ slow-start weight. Two random choices avoid the herd behaviour of always taking
 * the global minimum, and the peak EWMA (see ewma.ts) reacts to a node turning slow on
 * its first slow answer. A node with no sample yet but a request in flight costs the
 * most (as in Finagle): a cold or stuck node gets one request, not a flood.
 */
import type { Upstream } from '../upstream.js';
import type { Picker, PickRequest } from './picker.js';

export class P2cEwmaPicker implements Picker {
  readonly usesHashKey = false;

  pick(candidates: readonly Upstream[], { now }: PickRequest): Upstream {
    const n = candidates.length;
    if (n === 1) return candidates[0]!;
    const i = Math.floor(Math.random() * n);
    let j = Math.floor(Math.random() * (n - 1));
    if (j >= i) j++;
    const a = candidates[i]!;
    const b = candidates[j]!;
    return cost(b, now) < cost(a, now) ? b : a;
  }
}

export function cost(u: Upstream, now: number): number {
  if (!u.latency.sampled) return u.inflight > 0 ? Number.MAX_VALUE : 0;
  return (u.latency.value(now) * (u.inflight + 1)) / u.health.weight(now);
}
