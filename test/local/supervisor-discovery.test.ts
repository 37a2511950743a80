/** `up --gateway`'s supervisor as a discovery source, against a recording sink. No processes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiscoveredNode, DiscoverySink } from '../../src/gateway/index.js';
import { SupervisorDiscovery } from '../../src/local/supervisor-discovery.js';
import type { ManagedNode } from '../../src/local/supervisor.js';

const node = (slot: number): ManagedNode => ({
  slot,
  pid: 100 + slot,
  url: `http://127.0.0.1:${9000 + slot}`,
  nodeId: `n${slot}`,
  startedAt: 0,
});

function recordingSink(): DiscoverySink & { seen: string[] } {
  const seen: string[] = [];
  const name = (n: DiscoveredNode) => `${n.nodeId ?? ''}@${n.url}`;
  return {
    seen,
    current: (nodes) => seen.push(`current ${nodes.map(name).join(',')}`),
    join: (n) => seen.push(`join ${name(n)}`),
    leave: (n) => {
      seen.push(`leave ${name(n)}`);
      return Promise.resolve();
    },
  };
}

describe('supervisor discovery', () => {
  it('reports the ready nodes as they are when the gateway starts, then every join and leave', async () => {
    let ready = [node(0)];
    const source = new SupervisorDiscovery(() => ready);
    source.events.ready(node(0)); // before the gateway exists: covered by the start report
    ready = [node(0), node(1)];
    const sink = recordingSink();
    await source.start(sink);
    source.events.ready(node(2));
    await source.events.retiring(node(0));
    source.events.gone(node(1));
    await source.stop();
    source.events.gone(node(2));
    assert.deepEqual(sink.seen, [
      'current n0@http://127.0.0.1:9000,n1@http://127.0.0.1:9001',
      'join n2@http://127.0.0.1:9002',
      'leave n0@http://127.0.0.1:9000',
      'leave n1@http://127.0.0.1:9001',
    ]);
  });
});
