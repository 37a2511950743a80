/** Gateway options: defaults and refusals. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS, resolveOptions, parseHashKey } from '../../src/gateway/options.js';

describe('options', () => {
  it('refuses what cannot work, naming the flag', () => {
    assert.throws(() => resolveOptions({}), /--upstream/);
    assert.throws(() => resolveOptions({ upstreams: ['ftp://x:1'] }), /http:\/\//);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1/path'] }), /no path/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1', 'http://a:1/'] }), /twice/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], balancing: { algorithm: 'random' as 'hash' } }), /--algorithm/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], trustProxy: ['10.0.0.0/33'] }), /--trust-proxy/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], balancing: { hashKey: { kind: 'ip' } } }), /--hash-key only/);
    assert.throws(() => parseHashKey('cookie:x'), /--hash-key/);
    assert.deepEqual(parseHashKey('header:X-User'), { kind: 'header', name: 'x-user' });
    assert.throws(
      () => resolveOptions({ upstreams: ['http://a:1'], outlierDetection: { latencyEjectionFactor: 1.2 } }),
      /--latency-ejection/,
    );
    assert.equal(
      resolveOptions({ upstreams: ['http://a:1'], outlierDetection: { latencyEjectionFactor: 0 } }).outlierDetection.latencyEjectionFactor,
      0,
    );
  });

  it('fills every group it is not given from DEFAULTS, and keeps what it is given', () => {
    const r = resolveOptions({ upstreams: ['http://a:1'], timeouts: { tryMs: 500 }, pool: { connections: 4 } });
    assert.deepEqual(r.timeouts, { ...DEFAULTS.timeouts, tryMs: 500 });
    assert.deepEqual(r.pool, { ...DEFAULTS.pool, connections: 4 });
    assert.deepEqual(r.balancing, DEFAULTS.balancing);
    assert.deepEqual(r.healthChecks, DEFAULTS.healthChecks);
    assert.deepEqual(r.outlierDetection, DEFAULTS.outlierDetection);
    assert.deepEqual(r.retryPolicy, DEFAULTS.retryPolicy);
    assert.deepEqual(r.limits, DEFAULTS.limits);
    assert.deepEqual(r.listen, DEFAULTS.listen);
  });

  it('checks settings across a group: a try longer than the whole request is refused', () => {
    assert.throws(
      () => resolveOptions({ upstreams: ['http://a:1'], timeouts: { tryMs: 2_000, totalMs: 1_000 } }),
      /--try-timeout must not exceed/,
    );
  });
});
