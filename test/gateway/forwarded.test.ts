/** Client addresses: X-Forwarded-For believed only from trusted proxies. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveClient } from '../../src/gateway/proxy/forwarded.js';
import { TrustedProxies } from '../../src/http/trusted-proxies.js';

describe('trust proxy', () => {
  const trusted = new TrustedProxies('10.0.0.0/8, 127.0.0.1/32');

  it('replaces X-Forwarded-For from an untrusted peer', () => {
    assert.deepEqual(resolveClient('203.0.113.7', '1.2.3.4', trusted), {
      peer: '203.0.113.7',
      client: '203.0.113.7',
      forwardedFor: '203.0.113.7',
      peerTrusted: false,
    });
  });

  it('appends the peer from a trusted proxy and finds the client right to left', () => {
    const r = resolveClient('::ffff:127.0.0.1', '6.6.6.6, 198.51.100.2, 10.1.2.3', trusted);
    assert.equal(r.client, '198.51.100.2');
    assert.equal(r.forwardedFor, '6.6.6.6, 198.51.100.2, 10.1.2.3, 127.0.0.1');
  });
});
