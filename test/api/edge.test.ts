/**
 * The API node's client edge: a node may take client connections itself (`miniscale
 * up`, one hop), so it keeps the gateway's contract — over real `miniscale node`
 * processes, real sockets and undici:
 * - oversized uploads get a 413 the client can read, then a lingering close, directly
 *   and through a gateway, declared or chunked, however big;
 * - header, URL, framing and Host limits answered like the gateway's, raw answers in
 *   the API's error format with X-Request-Id and X-Node-Id;
 * - slow clients cut off by the headers, request and socket timeouts;
 * - X-Request-Id and X-Forwarded-For believed only from trusted proxies, and
 *   `MINISCALE_TRUST_PROXY=` (empty) trusting no one.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RunningGateway } from '../../src/gateway/index.js';
import { gateway } from '../gateway/helpers.js';
import { firstAnswer, rawExchange, rawUpload, SMUGGLING_REQUESTS, type RawAnswer } from '../hardening/helpers.js';
import { call, login, startApiTopology, type ApiTopology, type NodeHandle } from '../support/api-nodes.js';
import { killAll } from '../support/processes.js';

const NO_LIMITS = { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0', MINISCALE_RATE_LIMIT_LOGIN: '0' };
const MB = 1_000_000;

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

function assertAnswer(a: RawAnswer | undefined, status: number, code: string, what: string): void {
  assert.ok(a, `${what}: no whole answer was read`);
  assert.equal(a.status, status, `${what}: ${a.body}`);
  assert.equal(errorCode(a.body), code, `${what}: ${a.body}`);
  assert.match(a.headers['x-request-id'] ?? '', /^[A-Za-z0-9._:-]{1,128}$/, `${what}: X-Request-Id`);
}

let topo: ApiTopology;
let node: NodeHandle;
let gw: RunningGateway;
let token: string;

before(async () => {
  topo = await startApiTopology({ nodes: 1, env: NO_LIMITS });
  node = topo.nodes[0]!;
  gw = await gateway({ upstreams: [node.url] });
  token = (await login(node.url, 'edge')).token;
});
after(async () => {
  await gw?.close();
  await topo?.stop();
  killAll();
});

describe('oversized uploads get their 413, not a reset', () => {
  const routes = [
    ['POST', '/v1/auth/login'],
    ['PUT', '/v1/me/kv/k'],
  ] as const;
  const targets = () =>
    [
      ['node', node.url],
      ['gateway', gw.url],
    ] as const;

  it('undici reads 413 PAYLOAD_TOO_LARGE for a 1 MB and a 10 MB body, directly and through a gateway', async () => {
    for (const [where, base] of targets()) {
      for (const size of [MB, 10 * MB]) {
        for (const [method, path] of routes) {
          const what = `${where} ${method} ${path} ${size} bytes`;
          const res = await request(`${base}${path}`, {
            method,
            body: Buffer.alloc(size, 'x'),
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          });
          const body = await res.body.text();
          assert.equal(res.statusCode, 413, `${what}: ${body}`);
          assert.equal(errorCode(body), 'PAYLOAD_TOO_LARGE', what);
          assert.ok(res.headers['x-request-id'], `${what}: X-Request-Id`);
          if (where === 'node') {
            assert.equal(res.headers['x-node-id'], node.nodeId, what);
            assert.equal(res.headers.connection, 'close', `${what}: the body was not read, so the connection closes`);
          }
        }
      }
    }
  });

  it('a raw client writing all of a 1 MB or 10 MB body reads the whole 413, with no EPIPE or reset', async () => {
    for (const [where, base] of targets()) {
      for (const size of [MB, 10 * MB]) {
        for (const [method, path] of routes) {
          const what = `${where} ${method} ${path} ${size} bytes`;
          const head = `${method} ${path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
          const r = await rawUpload(portOf(base), head, { bytes: size, settleMs: 300 });
          assertAnswer(r.answer, 413, 'PAYLOAD_TOO_LARGE', what);
          assert.equal(r.error, undefined, `${what}: socket error ${r.error}`);
          assert.equal(r.sent, size, `${what}: the whole body went out`);
          // The node closes: it refused to read the body. A gateway relaying a node's
          // early 413 may have read the whole body by then, and keep the connection.
          if (where === 'node' || size > MB) {
            assert.equal(r.answer!.headers.connection, 'close', what);
            assert.ok(r.endedAfterMs !== undefined, `${what}: the server closed the connection once the body was in`);
          }
        }
      }
    }
  });

  it('a chunked body that grows over the limit gets its 413 too (undici and raw, directly and through a gateway)', async () => {
    for (const [where, base] of targets()) {
      const what = `${where} chunked`;
      const piece = Buffer.alloc(64 * 1024, 'x');
      const body = Readable.from(
        (function* () {
          for (let i = 0; i < 160; i++) yield piece;
        })(),
      );
      const res = await request(`${base}/v1/me/kv/k`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      });
      const text = await res.body.text();
      assert.equal(res.statusCode, 413, `${what}: ${text}`);
      assert.equal(errorCode(text), 'PAYLOAD_TOO_LARGE', what);
      const head = `PUT /v1/me/kv/k HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const r = await rawUpload(portOf(base), head, { bytes: 10 * MB, chunked: true });
      assertAnswer(r.answer, 413, 'PAYLOAD_TOO_LARGE', `${what} raw`);
      assert.equal(r.error, undefined, `${what} raw: socket error ${r.error}`);
    }
  });

  it('a client that keeps sending after its 413 is cut off within the linger bounds (32 MiB, 5 s, 1 s idle)', async () => {
    const head = `PUT /v1/me/kv/k HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const cases = [
      ['fast: the byte bound', { bytes: Infinity, chunked: true }, 3_000],
      ['slow but never idle: the time bound', { bytes: Infinity, chunked: true, intervalMs: 100 }, 6_500],
      // Quiet for 2 s, then one more chunk: the node must have closed by then.
      [
        'stops sending but keeps the connection: the idle bound',
        { bytes: 200 * 1024, chunked: true, finish: false, probeAfterMs: 2_000 },
        3_500,
      ],
    ] as const;
    const results = await Promise.all(
      targets().flatMap(([where, base]) =>
        cases.map(async ([name, o, withinMs]) => {
          const r = await rawUpload(portOf(base), head, { ...o, timeoutMs: 15_000 });
          return { where, name, withinMs, r };
        }),
      ),
    );
    for (const { where, name, withinMs, r } of results) {
      const what = `${where}, ${name}`;
      assertAnswer(r.answer, 413, 'PAYLOAD_TOO_LARGE', what);
      assert.equal(r.errorBeforeAnswer, false, `${what}: ${r.error} before the answer`);
      assert.ok(r.closedAfterMs !== undefined && r.error !== undefined, `${what}: never cut off (sent ${r.sent} bytes)`);
      const lingered = r.closedAfterMs - r.answeredAfterMs!;
      process.stdout.write(`# ${what}: cut off ${lingered} ms after the 413 (${r.error}), ${(r.sent / 1048576).toFixed(1)} MiB sent\n`);
      assert.ok(lingered <= withinMs, `${what}: lingered ${lingered} ms`);
      assert.ok(r.sent <= 48 * 1048576, `${what}: ${r.sent} bytes taken`);
    }
  });

  it('the node still serves afterwards', async () => {
    assert.equal((await call(node.url, 'GET', '/v1/me/kv/k', { token })).status, 404);
    assert.equal((await call(gw.url, 'GET', '/readyz')).status, 200);
  });
});

describe('limits and hostile input over raw sockets, answered as the gateway answers them', () => {
  const stillServing = async () => assert.equal((await call(node.url, 'GET', '/healthz')).status, 200, 'the node still serves');

  for (const [name, raw] of SMUGGLING_REQUESTS) {
    it(`answers 400 VALIDATION_FAILED and closes the connection for ${name}`, async () => {
      const res = await rawExchange(portOf(node.url), raw, { timeoutMs: 3_000 });
      assert.deepEqual(res.statuses, [400], `exactly one answer, 400: nothing smuggled was answered\n${res.text.slice(0, 300)}`);
      assert.ok(res.closed, 'the connection is closed');
      const a = firstAnswer(res.text);
      assertAnswer(a, 400, 'VALIDATION_FAILED', name);
      assert.equal(a!.headers['x-node-id'], node.nodeId);
      await stillServing();
    });
  }

  const urls: Array<[string, string]> = [
    ['a 9 KiB URL', `GET /${'u'.repeat(9 * 1024)} HTTP/1.1\r\nHost: t\r\n\r\n`],
    [
      'a 15 KiB URL with 2 KB of headers (over 16 KiB together)',
      `GET /${'u'.repeat(15 * 1024)} HTTP/1.1\r\nHost: t\r\nUser-Agent: ${'a'.repeat(2000)}\r\n\r\n`,
    ],
    ["a 100 KB URL (Node's parser calls it a header overflow)", `GET /${'u'.repeat(100_000)} HTTP/1.1\r\nHost: t\r\n\r\n`],
    [
      'a 100 KB URL after a kept-alive request on the same connection',
      `GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /${'u'.repeat(100_000)} HTTP/1.1\r\nHost: t\r\n\r\n`,
    ],
  ];
  for (const [name, raw] of urls) {
    it(`answers 414 URI_TOO_LONG to ${name} and closes`, async () => {
      const res = await rawExchange(portOf(node.url), raw, { timeoutMs: 3_000 });
      assert.equal(res.statuses.at(-1), 414, res.text.slice(0, 300));
      assert.ok(res.closed);
      const last = res.text.slice(res.text.lastIndexOf('HTTP/1.1 '));
      assertAnswer(firstAnswer(last), 414, 'URI_TOO_LONG', name);
      assert.equal(firstAnswer(last)!.headers['x-node-id'], node.nodeId);
      await stillServing();
    });
  }

  it('answers 431 HEADERS_TOO_LARGE to headers over 16 KiB and closes', async () => {
    const res = await rawExchange(portOf(node.url), `GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`);
    assert.ok(res.closed);
    const a = firstAnswer(res.text);
    assertAnswer(a, 431, 'HEADERS_TOO_LARGE', '17 KiB header');
    assert.equal(a!.headers['x-node-id'], node.nodeId);
    await stillServing();
  });

  it('a Transfer-Encoding other than chunked is refused before its body is read, with no request dispatched', async () => {
    const res = await rawExchange(
      portOf(node.url),
      `PUT /v1/me/kv/te HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{"value":1}`,
    );
    assert.deepEqual(res.statuses, [400]);
    assert.ok(res.closed);
    assert.equal((await call(node.url, 'GET', '/v1/me/kv/te', { token })).status, 404, 'nothing was written');
  });

  it('an HTTP/1.0 request without Host is served', async () => {
    const res = await rawExchange(portOf(node.url), 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.deepEqual(res.statuses, [200]);
  });
});

describe('X-Request-Id and X-Node-Id on every answer', () => {
  it('a 200, a 404, 400s, a 401, a 415 and a 413 all carry both', async () => {
    const cases: Array<[string, Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>, number]> = [
      ['200', call(node.url, 'GET', '/healthz'), 200],
      ['404', call(node.url, 'GET', '/nope'), 404],
      ['400 (schema)', call(node.url, 'PUT', '/v1/leaderboards/b/me', { token, json: { score: 'x' } }), 400],
      ['400 (router: bad percent-encoding)', call(node.url, 'GET', '/v1/me/kv/%zz', { token }), 400],
      ['401', call(node.url, 'GET', '/v1/me/kv/k'), 401],
      ['415', call(node.url, 'PUT', '/v1/me/kv/k', { token, body: 'x', headers: { 'content-type': 'text/plain' } }), 415],
      ['413', call(node.url, 'PUT', '/v1/me/kv/k', { token, json: { value: 'x'.repeat(70 * 1024) } }), 413],
    ];
    for (const [what, pending, status] of cases) {
      const res = await pending;
      assert.equal(res.status, status, what);
      assert.equal(res.headers['x-node-id'], node.nodeId, `${what}: X-Node-Id`);
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/, `${what}: X-Request-Id`);
    }
  });

  it("keeps a trusted proxy's X-Request-Id, replaces anyone else's (MINISCALE_TRUST_PROXY= trusts no one)", async () => {
    const open = await topo.startNode({ ...NO_LIMITS, MINISCALE_TRUST_PROXY: '' });
    try {
      const given = 'trace-1234.abc';
      const trusted = await call(node.url, 'GET', '/healthz', { headers: { 'x-request-id': given } });
      assert.equal(trusted.headers['x-request-id'], given, 'loopback is trusted by default (a gateway on this machine)');
      const untrusted = await call(open.url, 'GET', '/healthz', { headers: { 'x-request-id': given } });
      assert.notEqual(untrusted.headers['x-request-id'], given, 'a client cannot choose our request id');
      assert.match(String(untrusted.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      const insane = await call(node.url, 'GET', '/healthz', { headers: { 'x-request-id': '../../etc/passwd' } });
      assert.match(String(insane.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'an insane id is replaced even from a trusted proxy');
    } finally {
      await open.terminate();
    }
  });
});

describe('X-Forwarded-For believed only from trusted proxies', () => {
  it('a forged X-Forwarded-For from an untrusted peer does not change the IP the per-IP limit counts', async () => {
    const limits = { ...NO_LIMITS, MINISCALE_RATE_LIMIT_IP: '3' };
    const open = await topo.startNode({ ...limits, MINISCALE_TRUST_PROXY: '' });
    const behindProxy = await topo.startNode({ ...limits, MINISCALE_TRUST_PROXY: 'loopback' });
    try {
      const forged = (i: number) => ({ 'x-forwarded-for': `203.0.113.${i}` });
      // Trusting no one: every request counts against 127.0.0.1, whatever it claims.
      const statuses = [];
      for (let i = 1; i <= 4; i++) statuses.push((await call(open.url, 'GET', '/nope', { headers: forged(i) })).status);
      assert.deepEqual(statuses, [404, 404, 404, 429], 'the fourth request from this peer is over the limit of 3');
      // The same from a trusted peer: each claimed client is counted on its own (the setting is what decides).
      const believed = [];
      for (let i = 11; i <= 14; i++) believed.push((await call(behindProxy.url, 'GET', '/nope', { headers: forged(i) })).status);
      assert.deepEqual(believed, [404, 404, 404, 404]);
      // Over a raw socket too, with the header twice.
      const raw = await rawExchange(
        portOf(open.url),
        'GET /nope HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 198.51.100.2\r\nConnection: close\r\n\r\n',
      );
      assert.deepEqual(raw.statuses, [429]);
    } finally {
      await Promise.all([open.terminate(), behindProxy.terminate()]);
    }
  });
});

describe('slow clients cannot pin a node', () => {
  let slow: NodeHandle;
  before(async () => {
    slow = await topo.startNode({
      ...NO_LIMITS,
      MINISCALE_HEADERS_TIMEOUT_MS: '1000',
      MINISCALE_REQUEST_TIMEOUT_MS: '2000',
      MINISCALE_SOCKET_TIMEOUT_MS: '1000',
    });
  });
  after(async () => {
    await slow?.terminate();
  });

  /** Sends `prefix`, then `dribbled` one byte every 100 ms; resolves with what came back, and when the socket closed. */
  function dribble(prefix: string, dribbled: string): Promise<{ text: string; ms: number }> {
    return new Promise((resolve) => {
      const socket = net.connect(portOf(slow.url), '127.0.0.1');
      const t0 = Date.now();
      let text = '';
      let i = 0;
      socket.write(prefix);
      const timer = setInterval(() => {
        if (i < dribbled.length && !socket.destroyed) socket.write(dribbled[i++]!);
      }, 100);
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(giveUp);
        resolve({ text, ms: Date.now() - t0 });
      });
      const giveUp = setTimeout(() => socket.destroy(), 10_000);
    });
  }

  it("headers dribbled past headersTimeout get 408 REQUEST_TIMEOUT in the API's format, and the socket goes", async () => {
    const { text, ms } = await dribble('', `GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`);
    const a = firstAnswer(text);
    assertAnswer(a, 408, 'REQUEST_TIMEOUT', 'slow headers');
    assert.equal(a!.headers['x-node-id'], slow.nodeId);
    assert.ok(ms < 4_000, `closed after ${ms} ms`);
  });

  it('a body dribbled past requestTimeout gets 408 and the socket goes', async () => {
    const body = `{"value":"${'v'.repeat(300)}"}`;
    const head = `PUT /v1/me/kv/slow HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { text, ms } = await dribble(head, body);
    assertAnswer(firstAnswer(text), 408, 'REQUEST_TIMEOUT', 'slow body');
    assert.ok(ms < 5_000, `closed after ${ms} ms`);
  });

  it('a client that stops reading its answers is cut off by the socket timeout', async () => {
    assert.equal((await call(slow.url, 'PUT', '/v1/me/kv/big', { token, json: { value: 'b'.repeat(60 * 1024) } })).status, 200);
    const requests = Array.from(
      { length: 400 },
      () => `GET /v1/me/kv/big HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    ).join('');
    const socket = net.connect(portOf(slow.url), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.pause(); // 400 answers of 60 KiB (24 MB) pipelined, and none read
    socket.write(requests);
    await new Promise((r) => setTimeout(r, 3_500));
    let received = 0;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: Buffer) => {
      received += d.length;
    });
    socket.resume();
    const gone = await Promise.race([closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 3_000))]);
    socket.destroy();
    assert.ok(gone, 'the node closed the connection');
    assert.ok(received < 400 * 60 * 1024, `only part of the answers came (${received} bytes)`);
  });
});
