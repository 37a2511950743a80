/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018, as in
 * HAProxy's `hash-balance-factor`): each node owns points on a ring; a key goes to the
 * first node clockwise whose in-flight count is below ⌈c × mean load⌉. A node leaving
 * moves only its own keys, and a hot key spills over to the next nodes on the ring
 * instead of melting its home node. Slow-start weights scale a node's bound.
 */
import type { Upstream } from '../upstreams/upstream.js';
import type { Picker, PickRequest } from './picker.js';
import { hash32 } from '../../core/hash32.js';

/** Points per node: enough that each owns close to 1/n of the ring with a handful of nodes. */
const POINTS_PER_NODE = 160;

interface Ring {
  points: Uint32Array;
  owners: Upstream[];
}

export class ConsistentHashPicker implements Picker {
  readonly usesHashKey = true;
  #ringKey = '';
  #ring: Ring = { points: new Uint32Array(0), owners: [] };

  constructor(private readonly balance: number) {}

  pick(candidates: readonly Upstream[], { now, hashKey }: PickRequest): Upstream {
    if (candidates.length === 1) return candidates[0]!;
    const ring = this.#ringFor(candidates);
    let totalInflight = 0;
    let totalWeight = 0;
    for (const u of candidates) {
      totalInflight += u.inflight;
      totalWeight += u.health.weight(now);
    }
    // The bound counts this request too (the paper's m + 1), so it is never 0.
    const perWeight = (this.balance * (totalInflight + 1)) / totalWeight;
    const { points, owners } = ring;
    let i = lowerBound(points, hash32(hashKey ?? ''));
    for (let step = 0; step < points.length; step++, i++) {
      if (i === points.length) i = 0;
      const u = owners[i]!;
      if (u.inflight < Math.ceil(perWeight * u.health.weight(now))) return u;
    }
    return owners[lowerBound(points, hash32(hashKey ?? '')) % points.length]!;
  }

  /** The ring over exactly these candidates, rebuilt only when the set changes. */
  #ringFor(candidates: readonly Upstream[]): Ring {
    let key = '';
    for (const u of candidates) key += `${u.id}\n`;
    if (key !== this.#ringKey) {
      this.#ring = buildRing(candidates);
      this.#ringKey = key;
    }
    return this.#ring;
  }
}

function buildRing(nodes: readonly Upstream[]): Ring {
  const entries: Array<[number, Upstream]> = [];
  for (const u of nodes) {
    for (let i = 0; i < POINTS_PER_NODE; i++) entries.push([hash32(`${u.id}#${i}`), u]);
  }
  // Ties broken by id, so the ring does not depend on the order nodes were listed in.
  entries.sort((a, b) => a[0] - b[0] || (a[1].id < b[1].id ? -1 : 1));
  return { points: Uint32Array.from(entries, (e) => e[0]), owners: entries.map((e) => e[1]) };
}

/** First index whose point is ≥ h (points.length when none). */
function lowerBound(points: Uint32Array, h: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
