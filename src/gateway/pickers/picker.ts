/**
 * A balancing algorithm is one small object (the strategy undici's pools use): given
 * the upstreams that may take this request, it picks one. Pools, health, retries and
 * panic mode are shared and live elsewhere; a picker never sees an ejected node unless
 * every node is out (panic), and on a retry it never sees the nodes already tried.
 */
import type { Upstream } from '../upstreams/upstream.js';

export interface PickRequest {
  /** Monotonic ms, read once per request. */
  now: number;
  /** What consistent hashing hashes (a header value or the client IP). */
  hashKey?: string;
}

export interface Outcome {
  ok: boolean;
  latencyMs: number;
}

export interface Picker {
  /** True when `pick` needs `request.hashKey`, so others do not pay to compute it. */
  readonly usesHashKey: boolean;
  /** `candidates` is never empty. */
  pick(candidates: readonly Upstream[], request: PickRequest): Upstream;
  /** Told about every finished attempt, for pickers that learn. */
  observe?(upstream: Upstream, outcome: Outcome): void;
}
