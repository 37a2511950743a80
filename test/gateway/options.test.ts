/** Gateway options: defaults and refusals. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveOptions, parseHashKey } from '../../src/gateway/options.js';

describe('options', () => {
  it('refuses what cannot work, naming the flag', () => {
    assert.throws(() => resolveOptions({}), /--upstream/);
    assert.throws(() => resolveOptions({ upstreams: ['ftp://x:1'] }), /http:\/\//);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1/path'] }), /no path/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1', 'http://a:1/'] }), /twice/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], algorithm: 'random' as 'hash' }), /--algorithm/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], trustProxy: ['10.0.0.0/33'] }), /--trust-proxy/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], hashKey: { kind: 'ip' } }), /--hash-key only/);
    assert.throws(() => parseHashKey('cookie:x'), /--hash-key/);
    assert.deepEqual(parseHashKey('header:X-User'), { kind: 'header', name: 'x-user' });
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], latencyEjectionFactor: 1.2 }), /--latency-ejection/);
    assert.equal(resolveOptions({ upstreams: ['http://a:1'], latencyEjectionFactor: 0 }).latencyEjectionFactor, 0);
  });
});
