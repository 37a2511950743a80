/**
 * The passes of a WebSocket upgrade on their own: their order, what each refuses (in the
 * API's error format, written to the socket, with the request id), and that an upgrade
 * meets the same rules as a plain request. No network: a socket that records writes.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { resolveOptions, type GatewayOptions } from '../../src/gateway/options.js';
import type { GatewayRuntime } from '../../src/gateway/runtime.js';
import { runUpgradePasses, UPGRADE_PASSES } from '../../src/gateway/proxy/upgrade-passes.js';
import { TrustedProxies } from '../../src/http/trusted-proxies.js';

interface Recorded {
  socket: Socket;
  written: () => string;
}

function recordingSocket(remoteAddress = '203.0.113.9'): Recorded {
  let out = '';
  const socket = {
    remoteAddress,
    writable: true,
    end(chunk: string) {
      out += chunk;
      this.writable = false;
    },
    setTimeout() {},
    destroy() {},
  };
  return { socket: socket as unknown as Socket, written: () => out };
}

function upgradeRequest(url: string, headers: Record<string, string> = {}, httpVersionMinor = 1): IncomingMessage {
  const all: Record<string, string> = { host: 'gw.test', connection: 'Upgrade', upgrade: 'websocket', ...headers };
  return {
    method: 'GET',
    url,
    httpVersionMinor,
    headers: Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), v])),
    rawHeaders: Object.entries(all).flat(),
  } as unknown as IncomingMessage;
}

function runtime(options: Omit<GatewayOptions, 'upstreams'> = {}): { gw: GatewayRuntime; clientErrors: string[] } {
  const o = resolveOptions({ upstreams: ['http://127.0.0.1:1'], ...options });
  const clientErrors: string[] = [];
  const gw = {
    options: o,
    trusted: new TrustedProxies(o.trustProxy.join(',')),
    balancer: { picker: { usesHashKey: o.balancing.algorithm === 'hash' } },
    metrics: { clientErrors: { inc: (labels: { reason: string }) => clientErrors.push(labels.reason) } },
  };
  return { gw: gw as unknown as GatewayRuntime, clientErrors };
}

function statusOf(written: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(written)?.[1]);
}

function bodyOf(written: string): { error: { code: string; message: string } } {
  return JSON.parse(written.slice(written.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
}

describe('upgrade passes', () => {
  it('run in order: request id, edge, target, websocket only, client address, headers, hash key', () => {
    assert.deepEqual(
      UPGRADE_PASSES.map((p) => p.name),
      ['requestId', 'edge', 'target', 'websocketOnly', 'clientAddress', 'upstreamHeaders', 'hashKey'],
    );
  });

  it('let a websocket upgrade through with the forwarded headers and the upgrade pair', () => {
    const { gw } = runtime();
    const { socket, written } = recordingSocket();
    const ctx = runUpgradePasses(gw, upgradeRequest('/ws', { 'x-forwarded-for': '6.6.6.6', 'keep-alive': 'timeout=5' }), socket);
    assert.ok(ctx, written());
    const headers = new Map<string, string>();
    for (let i = 0; i < ctx.upstreamHeaders.length; i += 2) headers.set(ctx.upstreamHeaders[i]!.toLowerCase(), ctx.upstreamHeaders[i + 1]!);
    assert.equal(headers.get('x-forwarded-for'), '203.0.113.9', 'an untrusted peer cannot claim another address');
    assert.equal(headers.get('connection'), 'Upgrade');
    assert.equal(headers.get('upgrade'), 'websocket');
    assert.equal(headers.has('keep-alive'), false, 'hop-by-hop headers are not passed on');
    assert.equal(headers.get('x-request-id'), ctx.id);
    assert.equal(written(), '', 'nothing is written to the client');
  });

  it('keep a well-formed X-Request-Id and replace a malformed one, as plain requests do', () => {
    const { gw } = runtime();
    const kept = runUpgradePasses(gw, upgradeRequest('/ws', { 'x-request-id': 'req-abc-123' }), recordingSocket().socket);
    assert.equal(kept?.id, 'req-abc-123');
    const replaced = runUpgradePasses(gw, upgradeRequest('/ws', { 'x-request-id': 'bad id with spaces' }), recordingSocket().socket);
    assert.ok(replaced);
    assert.notEqual(replaced.id, 'bad id with spaces');
    assert.match(replaced.id, /^[0-9a-f-]{36}$/);
  });

  const refusals: { what: string; req: () => IncomingMessage; status: number; code: string; metric?: string }[] = [
    { what: 'the admin prefix', req: () => upgradeRequest('/_gateway/upstreams'), status: 404, code: 'NOT_FOUND' },
    { what: 'a target that is not a path', req: () => upgradeRequest('*'), status: 404, code: 'NOT_FOUND' },
    { what: 'another protocol', req: () => upgradeRequest('/ws', { upgrade: 'h2c' }), status: 400, code: 'VALIDATION_FAILED' },
    {
      what: 'a URL over the limit',
      req: () => upgradeRequest(`/${'a'.repeat(9 * 1024)}`),
      status: 414,
      code: 'URI_TOO_LONG',
      metric: 'URI_TOO_LONG',
    },
    { what: 'HTTP/1.1 without Host', req: () => noHost(), status: 400, code: 'VALIDATION_FAILED', metric: 'NO_HOST' },
  ];
  for (const r of refusals) {
    it(`refuse ${r.what} with ${r.status} ${r.code}, the request id and Connection: close`, () => {
      const { gw, clientErrors } = runtime();
      const { socket, written } = recordingSocket();
      const req = r.req();
      (req.headers as Record<string, string>)['x-request-id'] = 'req-refused-1';
      assert.equal(runUpgradePasses(gw, req, socket), undefined);
      assert.equal(statusOf(written()), r.status, written());
      assert.equal(bodyOf(written()).error.code, r.code);
      assert.match(written(), /\r\nX-Request-Id: req-refused-1\r\n/);
      assert.match(written(), /\r\nConnection: close\r\n/);
      assert.deepEqual(clientErrors, r.metric ? [r.metric] : []);
    });
  }

  it('hash by the configured header, as plain requests do, else by the client address', () => {
    const { gw } = runtime({ balancing: { algorithm: 'hash', hashKey: { kind: 'header', name: 'x-user' } } });
    assert.equal(runUpgradePasses(gw, upgradeRequest('/ws', { 'x-user': 'u-42' }), recordingSocket().socket)?.hashKey, 'u-42');
    assert.equal(runUpgradePasses(gw, upgradeRequest('/ws'), recordingSocket('198.51.100.4').socket)?.hashKey, '198.51.100.4');
    const { gw: p2c } = runtime();
    assert.equal(runUpgradePasses(p2c, upgradeRequest('/ws'), recordingSocket().socket)?.hashKey, undefined, 'no key for other pickers');
  });
});

function noHost(): IncomingMessage {
  const req = upgradeRequest('/ws');
  delete (req.headers as Record<string, string | undefined>).host;
  return req;
}
