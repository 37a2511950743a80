/**
 * Smooth weighted round-robin (nginx's): each pick adds every node's weight to its
 * running score, takes the highest and subtracts the total from it. Equal weights give
 * a strict rotation; a node in slow start (weight < 1) is spread evenly rather than
 * being sent its small share in one burst.
 */
import type { Upstream } from '../upstreams/upstream.js';
import type { Picker, PickRequest } from './picker.js';

export class RoundRobinPicker implements Picker {
  readonly usesHashKey = false;
  readonly #score = new WeakMap<Upstream, number>();

  pick(candidates: readonly Upstream[], { now }: PickRequest): Upstream {
    let best = candidates[0]!;
    let bestScore = -Infinity;
    let total = 0;
    for (const u of candidates) {
      const w = u.health.weight(now);
      const score = (this.#score.get(u) ?? 0) + w;
      this.#score.set(u, score);
      total += w;
      if (score > bestScore) {
        best = u;
        bestScore = score;
      }
    }
    this.#score.set(best, bestScore - total);
    return best;
  }
}
