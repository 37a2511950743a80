/** The pickers on their own: the choice each makes over a fixed set of upstreams. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamHealth } from '../../src/gateway/health/state.js';
import { ConsistentHashPicker, LeastConnPicker, P2cEwmaPicker, RoundRobinPicker } from '../../src/gateway/pickers/index.js';
import { cost } from '../../src/gateway/pickers/p2c-ewma.js';
import { Upstream } from '../../src/gateway/upstreams/upstream.js';
import { policy, upstreams } from './fixtures.js';

describe('pickers', () => {
  it('smooth weighted round-robin rotates evenly over equal nodes', () => {
    const us = upstreams(3);
    const p = new RoundRobinPicker();
    const picks = Array.from({ length: 9 }, () => p.pick(us, { now: 0 }).id);
    assert.deepEqual(picks.slice(0, 3).sort(), us.map((u) => u.id).sort());
    assert.deepEqual(picks.slice(3, 6), picks.slice(0, 3));
  });

  it('round-robin gives a slow-starting node a share proportional to its weight', () => {
    const us = upstreams(2);
    const returning = new UpstreamHealth(policy, 0, { slowStart: true });
    Object.defineProperty(us[1]!, 'health', { value: returning });
    const p = new RoundRobinPicker();
    const counts = new Map<string, number>();
    for (let i = 0; i < 1100; i++) {
      const u = p.pick(us, { now: 0 });
      counts.set(u.id, (counts.get(u.id) ?? 0) + 1);
    }
    // weight 0.1 vs 1: 100 of 1100
    assert.equal(counts.get(us[1]!.id), 100);
  });

  it('least-conn picks the node with the fewest requests in flight', () => {
    const us = upstreams(3);
    us[0]!.inflight = 5;
    us[1]!.inflight = 1;
    us[2]!.inflight = 3;
    const p = new LeastConnPicker();
    for (let i = 0; i < 20; i++) assert.equal(p.pick(us, { now: 0 }).id, us[1]!.id);
  });

  it('p2c-ewma counts a node with no sample but a request in flight as the most costly', () => {
    const [cold, warm] = upstreams(2) as [Upstream, Upstream];
    warm.latency.observe(500, 0);
    warm.inflight = 10;
    cold.inflight = 1;
    assert.equal(cost(cold, 0), Number.MAX_VALUE);
    assert.ok(cost(warm, 0) < cost(cold, 0));
    cold.inflight = 0;
    assert.equal(cost(cold, 0), 0, 'an idle cold node is cheap: it gets tried');
  });

  it('p2c-ewma prefers the faster of the two nodes it samples', () => {
    const us = upstreams(2);
    us[0]!.latency.observe(100, 0);
    us[1]!.latency.observe(1, 0);
    const p = new P2cEwmaPicker();
    for (let i = 0; i < 20; i++) assert.equal(p.pick(us, { now: 1 }).id, us[1]!.id);
  });

  it('consistent hash sends a key to the same node, and only moves the keys of a node that leaves', () => {
    const us = upstreams(4);
    const p = new ConsistentHashPicker(1.25);
    const keys = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const before = keys.map((k) => p.pick(us, { now: 0, hashKey: k }).id);
    assert.deepEqual(
      keys.map((k) => p.pick(us, { now: 0, hashKey: k }).id),
      before,
      'stable',
    );
    const counts = countIds(before);
    for (const u of us) assert.ok((counts[u.id] ?? 0) > 50, `each node owns a fair part of the keys: ${JSON.stringify(counts)}`);
    const gone = us[2]!;
    const after = keys.map(
      (k) =>
        p.pick(
          us.filter((u) => u !== gone),
          { now: 0, hashKey: k },
        ).id,
    );
    keys.forEach((_, i) => {
      if (before[i] !== gone.id) assert.equal(after[i], before[i], 'keys of other nodes stay put');
    });
  });

  it('consistent hash with bounded load spills a hot key over to the next node', () => {
    const us = upstreams(3);
    const p = new ConsistentHashPicker(1.25);
    const home = p.pick(us, { now: 0, hashKey: 'hot' });
    home.inflight = 10; // mean load (10 + 1) / 3 → bound ⌈1.25 × 11 / 3⌉ = 5
    const next = p.pick(us, { now: 0, hashKey: 'hot' });
    assert.notEqual(next.id, home.id);
    home.inflight = 0;
    assert.equal(p.pick(us, { now: 0, hashKey: 'hot' }).id, home.id, 'back home once it is under the bound');
  });
});

function countIds(ids: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const id of ids) c[id] = (c[id] ?? 0) + 1;
  return c;
}
