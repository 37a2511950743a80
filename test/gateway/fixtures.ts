/** Fixtures of the gateway's unit tests: a health policy and upstreams that are never dialled. */
import type { HealthPolicy } from '../../src/gateway/health/state.js';
import { Upstream } from '../../src/gateway/upstreams/upstream.js';

export const policy: HealthPolicy = {
  ejectAfterFailures: 3,
  ejectionBaseMs: 1_000,
  ejectionMaxMs: 8_000,
  slowStartMs: 1_000,
  slowStartMinWeight: 0.1,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

export function upstreams(n: number): Upstream[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new Upstream(
        `http://127.0.0.1:${20000 + i}`,
        undefined,
        {
          health: policy,
          pool: { connections: 1, idleMs: 1000, connectTimeoutMs: 1000 },
          ewmaDecayMs: 10_000,
        },
        0,
        { slowStart: false },
      ),
  );
}
