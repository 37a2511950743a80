/** The balancer in panic mode: when too few upstreams are healthy, all of them are tried. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/logging.js';
import { RoundRobinPicker } from '../../src/gateway/pickers/index.js';
import { Upstream } from '../../src/gateway/upstreams/upstream.js';
import { policy } from './fixtures.js';

describe('balancer: panic mode', () => {
  it('picks, when every node is out, those whose probes pass before one that fails them too', async () => {
    const { Balancer } = await import('../../src/gateway/pickers/balancer.js');
    const { GatewayMetrics } = await import('../../src/gateway/metrics.js');
    const { Membership } = await import('../../src/gateway/upstreams/membership.js');
    const settings = { health: policy, pool: { connections: 1, idleMs: 1000, connectTimeoutMs: 1000 }, ewmaDecayMs: 10_000 };
    const membership = new Membership(settings, createLogger({ component: 'gateway', level: 'silent' }), () => undefined);
    const [dead, a, b] = ['http://127.0.0.1:21000', 'http://127.0.0.1:21001', 'http://127.0.0.1:21002'].map((url) =>
      membership.add(url, { slowStart: false }),
    ) as [Upstream, Upstream, Upstream];
    for (const u of [dead, a, b]) for (let i = 0; i < policy.ejectAfterFailures; i++) u.health.onFailure(0);
    for (let i = 0; i < policy.unhealthyThreshold; i++) dead.health.onProbe(false, 0);
    const balancer = new Balancer(membership, new RoundRobinPicker(), new GatewayMetrics(() => membership));
    const picks = Array.from({ length: 20 }, () => balancer.pick({ now: 10 }, []));
    assert.deepEqual(new Set(picks), new Set([a, b]), 'the node failing its probes is left out');
    assert.equal(balancer.pick({ now: 10 }, [a, b]), dead, 'and taken when nothing else is left');
    await membership.close();
  });
});
