/**
 * Least connections: the node with the fewest requests in flight per unit of weight.
 * `inflight + 1` (the load *after* this pick) makes slow-start weights matter even
 * when every node is idle; ties go to a random one, so an idle gateway does not send
 * every lone request to the first node.
 */
import type { Upstream } from '../upstreams/upstream.js';
import type { Picker, PickRequest } from './picker.js';

export class LeastConnPicker implements Picker {
  readonly usesHashKey = false;

  pick(candidates: readonly Upstream[], { now }: PickRequest): Upstream {
    const n = candidates.length;
    const start = Math.floor(Math.random() * n);
    let best = candidates[start]!;
    let bestLoad = (best.inflight + 1) / best.health.weight(now);
    for (let i = 1; i < n; i++) {
      const u = candidates[(start + i) % n]!;
      const load = (u.inflight + 1) / u.health.weight(now);
      if (load < bestLoad) {
        best = u;
        bestLoad = load;
      }
    }
    return best;
  }
}
