import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveNodeOptions } from '../../src/api/config.js';
import { TrustedProxies } from '../../src/http/trusted-proxies.js';

const ENV = { MINISCALE_WECHAT_APPID: 'wx0', MINISCALE_WECHAT_SECRET: 's' };

describe('TrustedProxies', () => {
  it('the empty list and `none` trust no one', () => {
    for (const spec of ['', ' ', 'none', ' , ']) {
      const t = new TrustedProxies(spec);
      assert.equal(t.none, true, JSON.stringify(spec));
      assert.equal(t.trusts('127.0.0.1'), false);
    }
  });

  it('names, addresses, CIDRs and netmasks, IPv4-mapped IPv6 included', () => {
    const t = new TrustedProxies('loopback, 10.1.0.0/16, 192.0.2.7, 2001:db8::/32, 172.20.0.0/255.255.0.0');
    for (const ip of [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '::ffff:127.0.0.1',
      '10.1.200.3',
      '::ffff:10.1.0.1',
      '192.0.2.7',
      '2001:db8::5',
      '172.20.3.4',
    ])
      assert.equal(t.trusts(ip), true, ip);
    for (const ip of ['10.2.0.1', '192.0.2.8', '2001:db9::1', '172.21.0.1', '8.8.8.8', 'not-an-ip', '', undefined])
      assert.equal(t.trusts(ip), false, String(ip));
    assert.equal(new TrustedProxies('uniquelocal').trusts('192.168.1.1'), true);
    assert.equal(new TrustedProxies('linklocal').trusts('169.254.1.1'), true);
  });

  it('refuses what is not an address, a CIDR or a known name', () => {
    for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/255.0.255.0', '::1/129', 'loopback,evil', '1.2.3']) {
      assert.throws(() => new TrustedProxies(bad), /not an IP address|prefix length or netmask/, bad);
    }
  });
});

describe('MINISCALE_TRUST_PROXY', () => {
  it('defaults to loopback (a gateway on this machine); set but empty, or `none`, trusts no one', () => {
    assert.equal(resolveNodeOptions({}, ENV).trustProxy, 'loopback');
    assert.equal(resolveNodeOptions({}, { ...ENV, MINISCALE_TRUST_PROXY: '' }).trustProxy, '');
    assert.equal(resolveNodeOptions({}, { ...ENV, MINISCALE_TRUST_PROXY: 'none' }).trustProxy, '');
    assert.equal(resolveNodeOptions({}, { ...ENV, MINISCALE_TRUST_PROXY: '10.0.0.0/8,loopback' }).trustProxy, '10.0.0.0/8,loopback');
  });

  it('a bad entry stops the node at start with a clear message', () => {
    assert.throws(
      () => resolveNodeOptions({}, { ...ENV, MINISCALE_TRUST_PROXY: 'gateway.local' }),
      /MINISCALE_TRUST_PROXY: "gateway.local" is not an IP address/,
    );
  });
});

describe("the node's edge timeouts", () => {
  it('default to 10 s headers, 30 s request, 65 s keep-alive, 120 s socket', () => {
    assert.deepEqual(resolveNodeOptions({}, ENV).http, {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      socketTimeoutMs: 120_000,
    });
  });

  it('are set by MINISCALE_*_TIMEOUT_MS and checked', () => {
    const env = {
      ...ENV,
      MINISCALE_HEADERS_TIMEOUT_MS: '2000',
      MINISCALE_REQUEST_TIMEOUT_MS: '5000',
      MINISCALE_KEEP_ALIVE_TIMEOUT_MS: '5000',
      MINISCALE_SOCKET_TIMEOUT_MS: '9000',
    };
    assert.deepEqual(resolveNodeOptions({}, env).http, {
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      keepAliveTimeoutMs: 5000,
      socketTimeoutMs: 9000,
    });
    assert.throws(
      () => resolveNodeOptions({}, { ...ENV, MINISCALE_HEADERS_TIMEOUT_MS: '40000' }),
      /must not be over MINISCALE_REQUEST_TIMEOUT_MS/,
    );
    assert.throws(
      () => resolveNodeOptions({}, { ...ENV, MINISCALE_KEEP_ALIVE_TIMEOUT_MS: 'soon' }),
      /MINISCALE_KEEP_ALIVE_TIMEOUT_MS must be an integer/,
    );
  });
});
