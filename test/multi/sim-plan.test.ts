/**
 * The parts of `npm run sim` that decide things without running anything (the sim
 * itself needs root and minutes, so it is a benchmark, not a CI test): the simulated
 * network's names and addresses, where the Redis Cluster's copies go, and how a
 * scenario's op log becomes its row and its verdict against the targets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planNetwork } from '../../bench/sim/network.js';
import { planRedisLayout } from '../../bench/sim/redis-layout.js';
import { summarize } from '../../bench/sim/summary.js';
import type { Verdict } from '../faults/lib/checker.js';
import { History, type Op } from '../faults/lib/history.js';

describe('the simulated network plan', () => {
  const plan = planNetwork(['app1', 'app2', 'app3', 'spare', 'gw'], '1234', '10.222.7');

  it('gives every host its own namespace, address and interfaces, all carrying the run tag', () => {
    assert.deepEqual(
      plan.hosts.map((h) => h.ip),
      ['10.222.7.1', '10.222.7.2', '10.222.7.3', '10.222.7.4', '10.222.7.5'],
    );
    assert.equal(plan.bridgeIp, '10.222.7.254');
    const names = [plan.bridge, ...plan.hosts.flatMap((h) => [h.namespace, h.innerIf, h.bridgeIf])];
    assert.equal(new Set(names).size, names.length, 'no name used twice');
    for (const n of names) assert.match(n, /1234/);
  });

  it("keeps interface names within the kernel's 15 bytes, and refuses a tag that would not", () => {
    for (const h of plan.hosts) assert.ok(h.innerIf.length <= 15 && h.bridgeIf.length <= 15);
    assert.throws(() => planNetwork(['a'], '123456789012', '10.1.1'), /over 15 characters/);
  });
});

describe('the Redis Cluster layout over the hosts', () => {
  it("puts each shard's primary and replicas on different hosts, one copy of every shard per host", () => {
    const nodes = planRedisLayout(3, 3, 2);
    assert.equal(nodes.length, 9);
    for (let shard = 0; shard < 3; shard++) {
      const copies = nodes.filter((n) => n.shard === shard);
      assert.equal(copies.filter((n) => n.copy === 0).length, 1, 'one primary');
      assert.equal(new Set(copies.map((n) => n.host)).size, 3, `shard ${shard} on three hosts`);
    }
    assert.deepEqual(
      nodes.filter((n) => n.copy === 0).map((n) => n.host),
      [0, 1, 2],
      'primaries spread over the hosts',
    );
    const addresses = nodes.map((n) => `${n.host}:${n.port}`);
    assert.equal(new Set(addresses).size, addresses.length, 'no two servers on one host share a port');
  });

  it('refuses more copies of a shard than there are hosts, and fewer than 3 primaries', () => {
    assert.throws(() => planRedisLayout(2, 3, 2), /at least as many hosts/);
    assert.throws(() => planRedisLayout(3, 2, 1), /at least 3 primaries/);
  });
});

describe("a scenario's row", () => {
  function history(ops: Partial<Op>[]): History {
    const h = new History();
    for (const o of ops) h.add({ type: 'put', worker: 'u0w0', key: 'k', status: 'ok', start: 0, end: 1, ...o });
    return h;
  }
  const clean: Verdict = {
    ops: 0,
    ok: 0,
    fail: 0,
    unknown: 0,
    lost: 0,
    phantom: 0,
    staleReads: 0,
    counter: { acked: 10, unknown: 0, final: 10, ok: true },
    gets: { counted: 0, ok: 0, availability: 1 },
    unexpectedFailures: [],
    anomalies: [],
    recoveryMs: {},
  };
  const many = (n: number, o: Partial<Op>) => Array.from({ length: n }, () => o);

  it('counts a lost compare-and-set race as an answer, and the rest of the failures from the fault to the last one', () => {
    const h = history([
      ...many(196, { type: 'get' }),
      { type: 'cas', status: 'fail', error: 'VERSION_CONFLICT', start: 100, end: 110 },
      { type: 'put', status: 'unknown', error: 'STORE_UNAVAILABLE', start: 1_000, end: 1_200 },
      { type: 'incr', status: 'unknown', error: 'UPSTREAM_TIMEOUT', start: 2_000, end: 4_500 },
      { type: 'incr', value: 1 },
    ]);
    const row = summarize('kill-host', h, clean, 1_000);
    assert.deepEqual([row.requests, row.failed, row.ackedWrites, row.recoverySeconds], [200, 2, 1, 3.5]);
    assert.deepEqual(row.missed, [], '1 % failed is within the kill-host target');
  });

  it('misses the target on any failed request in steady, add-host and drain-host', () => {
    const h = history([...many(100, {}), { status: 'unknown', error: 'UPSTREAM_UNAVAILABLE', start: 10, end: 20 }]);
    assert.deepEqual(summarize('drain-host', h, clean, 0).missed, ['1 failed request(s)']);
    assert.deepEqual(summarize('partition-host', h, clean, 0).missed, []);
  });

  it('counts acknowledged writes lost, stale reads and lost increments as lost, in every scenario', () => {
    const h = history(many(100, {}));
    const row = summarize('steady', h, { ...clean, lost: 1, staleReads: 1, counter: { acked: 10, unknown: 0, final: 9, ok: false } }, 0);
    assert.equal(row.ackedWritesLost, 3);
    assert.deepEqual(row.missed, ['3 acknowledged write(s) lost']);
  });

  it('misses the recovery target past 15 s, and a run too small to prove anything', () => {
    const slow = history([...many(200, {}), { status: 'unknown', error: 'UPSTREAM_TIMEOUT', start: 0, end: 16_000 }]);
    assert.deepEqual(summarize('partition-host', slow, clean, 0).missed, ['recovery 16 s (over 15 s)']);
    assert.deepEqual(summarize('steady', history(many(10, {})), clean, 0).missed, ['only 10 requests']);
  });
});
