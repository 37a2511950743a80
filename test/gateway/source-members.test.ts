/** A discovery source's reports applied to the membership. No network: the upstreams are never dialled. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createLogger } from '../../src/core/logging.js';
import { Membership } from '../../src/gateway/upstreams/membership.js';
import { SourceMembers } from '../../src/gateway/discovery/source-members.js';
import { policy } from './fixtures.js';

const log = createLogger({ component: 'gateway', level: 'silent' });
let membership: Membership;

function members(): Membership {
  membership = new Membership(
    { health: policy, pool: { connections: 1, idleMs: 1000, connectTimeoutMs: 1000 }, ewmaDecayMs: 10_000 },
    log,
    () => undefined,
  );
  return membership;
}

const states = (m: Membership) => m.upstreams.map((u) => [u.url, u.state(performance.now())]);

describe('source members', () => {
  afterEach(() => membership.close());

  it('brings the first report in at full weight, later joins in slow start, and removes what a report leaves out', () => {
    const m = members();
    const sink = new SourceMembers(m);
    sink.current([{ url: 'http://127.0.0.1:1', nodeId: 'a' }]);
    sink.join({ url: 'http://127.0.0.1:2', nodeId: 'b' });
    assert.deepEqual(states(m), [
      ['http://127.0.0.1:1', 'healthy'],
      ['http://127.0.0.1:2', 'slow-start'],
    ]);
    sink.current([{ url: 'http://127.0.0.1:2', nodeId: 'b', draining: true }]);
    assert.deepEqual(states(m), [['http://127.0.0.1:2', 'draining']]);
  });

  it('leaves a static upstream at the same address in place, driving only its draining flag', () => {
    const m = members();
    m.add('http://127.0.0.1:1', { slowStart: false });
    const sink = new SourceMembers(m);
    sink.current([{ url: 'http://127.0.0.1:1', nodeId: 'a', draining: true }]);
    assert.deepEqual(states(m), [['http://127.0.0.1:1', 'draining']]);
    sink.current([]);
    assert.equal(m.upstreams.length, 1, 'a static upstream is not the source’s to remove');
  });

  it('treats a new node id at a known address as a restarted node', () => {
    const m = members();
    const sink = new SourceMembers(m);
    sink.current([{ url: 'http://127.0.0.1:1', nodeId: 'a' }]);
    const before = m.upstreams[0];
    sink.current([{ url: 'http://127.0.0.1:1', nodeId: 'a2' }]);
    assert.equal(m.upstreams.length, 1);
    assert.notEqual(m.upstreams[0], before);
    assert.equal(m.upstreams[0]!.nodeId, 'a2');
  });

  it('resolves a leave once the gateway has no request left on the node', async () => {
    const m = members();
    const sink = new SourceMembers(m);
    sink.current([{ url: 'http://127.0.0.1:1', nodeId: 'a' }]);
    const u = m.upstreams[0]!;
    u.inflight = 1;
    let left = false;
    const leaving = sink.leave({ url: 'http://127.0.0.1:1', nodeId: 'a' }).then(() => (left = true));
    assert.equal(m.upstreams.length, 0, 'out of the rotation at once');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(left, false, 'still waiting for its request');
    u.inflight = 0;
    await leaving;
  });

  it('keeps an admin drain across the node leaving and joining again', () => {
    const m = members();
    const sink = new SourceMembers(m);
    sink.current([{ url: 'http://127.0.0.1:1', nodeId: 'a' }]);
    m.setAdminDrained('127.0.0.1:1', true);
    sink.current([]);
    sink.join({ url: 'http://127.0.0.1:1', nodeId: 'a' });
    assert.deepEqual(states(m), [['http://127.0.0.1:1', 'draining']]);
  });
});
