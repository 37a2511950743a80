/** Gateway workers: the primary's merged view of their upstreams, and a worker's environment. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeViews } from '../../src/gateway/workers/merge.js';
import { workerEnv } from '../../src/gateway/workers/link.js';

describe('merged upstream view of several workers', () => {
  const u = (url: string, state: string, requests: number, ewmaMs: number, inflight = 0, failures = 0) => ({
    url,
    state,
    inflight,
    ewmaMs,
    requests,
    failures,
  });

  it('sums counters, averages latency over the workers that sent anything, shows the least healthy state', () => {
    const merged = mergeViews([
      { algorithm: 'p2c-ewma', upstreams: [u('a', 'healthy', 10, 4, 1, 0), u('b', 'healthy', 5, 6)] },
      { algorithm: 'p2c-ewma', upstreams: [u('a', 'ejected', 20, 8, 2, 5), u('b', 'healthy', 0, 0)] },
      { algorithm: 'p2c-ewma', upstreams: [u('a', 'slow-start', 0, 0), u('b', 'healthy', 1, 2)] },
    ]);
    assert.equal(merged.workers, 3);
    const a = merged.upstreams.find((x) => x.url === 'a')!;
    assert.equal(a.state, 'ejected');
    assert.deepEqual(a.states, { healthy: 1, ejected: 1, 'slow-start': 1 });
    assert.equal(a.requests, 30);
    assert.equal(a.inflight, 3);
    assert.equal(a.failures, 5);
    assert.equal(a.ewmaMs, 6, 'mean of 4 and 8: the worker with no requests knows no latency');
    const b = merged.upstreams.find((x) => x.url === 'b')!;
    assert.equal(b.state, 'healthy');
    assert.equal(b.ewmaMs, 4);
  });

  it('keeps an upstream only some workers know (discovery in progress), and draining wins', () => {
    const merged = mergeViews([
      { algorithm: 'hash', upstreams: [u('a', 'healthy', 1, 1), u('new', 'slow-start', 0, 0)] },
      { algorithm: 'hash', upstreams: [u('a', 'draining', 1, 1)] },
    ]);
    assert.deepEqual(
      merged.upstreams.map((x) => [x.url, x.state]),
      [
        ['a', 'draining'],
        ['new', 'slow-start'],
      ],
    );
    assert.equal(merged.algorithm, 'hash');
  });
});

describe("a forked worker's environment", () => {
  it('reads its number and the drained upstreams, and ignores garbage', () => {
    assert.deepEqual(workerEnv({ MINISCALE_GATEWAY_WORKER: '2', MINISCALE_GATEWAY_DRAINED: '["http://127.0.0.1:9001"]' }), {
      worker: 2,
      drained: ['http://127.0.0.1:9001'],
    });
    assert.deepEqual(workerEnv({ MINISCALE_GATEWAY_DRAINED: '{not json' }), { worker: 0, drained: [] });
    assert.deepEqual(workerEnv({ MINISCALE_GATEWAY_DRAINED: '[1, "a", null]' }), { worker: 0, drained: ['a'] });
  });
});
