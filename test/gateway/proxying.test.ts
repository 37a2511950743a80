/**
 * What the gateway does to messages on their way through: hop-by-hop headers stripped
 * both ways, forwarded headers set (and a client's own trusted only from configured
 * proxies), bodies streamed both ways with backpressure and a size limit, timeouts
 * answered in the API's error format, and WebSocket upgrades passed through.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import WebSocket from 'ws';
import type { RunningGateway } from '../../src/gateway/index.js';
import { killAll } from '../support/processes.js';
import { gateway, parseRaw, rawExchange, startUpstreams, upstreamsOf, waitFor, type UpstreamHandle } from './helpers.js';

interface Echo {
  id: string;
  headers: Record<string, string>;
  rawHeaders: string[];
}

describe('proxying', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  let trusting: RunningGateway;
  before(async () => {
    ups = await startUpstreams(2);
    gw = await gateway({
      upstreams: ups.map((u) => u.url),
      limits: { maxBodyBytes: 16 * 1024 * 1024 },
      timeouts: { tryMs: 300, totalMs: 800 },
    });
    trusting = await gateway({ upstreams: ups.map((u) => u.url), trustProxy: ['127.0.0.1/32'] });
  });
  after(async () => {
    await gw.close();
    await trusting.close();
    killAll();
  });

  it('strips hop-by-hop request headers, including those named in Connection', async () => {
    const { text } = await rawExchange(
      gw.port,
      [
        'GET /echo HTTP/1.1',
        'Host: app.example',
        'Connection: keep-alive, X-Client-Hop, X-Forwarded-For',
        'X-Client-Hop: secret',
        'Keep-Alive: timeout=99',
        'TE: trailers',
        'Proxy-Authorization: Basic Zm9vOmJhcg==',
        'Trailer: X-Checksum',
        'X-End-To-End: kept',
        '',
        '',
      ].join('\r\n'),
    );
    const res = parseRaw(text);
    assert.equal(res.status, 200);
    const echo = JSON.parse(res.body) as Echo;
    for (const name of ['x-client-hop', 'keep-alive', 'te', 'proxy-authorization', 'trailer', 'transfer-encoding', 'upgrade']) {
      assert.equal(echo.headers[name], undefined, `${name} must not reach the upstream`);
    }
    // The gateway's own connection to the upstream is kept alive; the client's Connection is not forwarded.
    assert.equal(echo.headers.connection, 'keep-alive');
    assert.equal(echo.headers['x-end-to-end'], 'kept');
    assert.equal(echo.headers.host, 'app.example', "Host is the client's");
    // Named in Connection by the client, but the gateway sets it anew: still there.
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
  });

  it('strips hop-by-hop response headers, including those named in Connection', async () => {
    const { text } = await rawExchange(gw.port, 'GET /hop HTTP/1.1\r\nHost: x\r\n\r\n');
    const res = parseRaw(text);
    const names = res.headers.map(([n]) => n);
    assert.equal(res.status, 200);
    for (const name of ['x-hop-secret', 'proxy-authenticate', 'trailer', 'upgrade'])
      assert.ok(!names.includes(name), `${name} must not reach the client`);
    assert.ok(names.includes('x-end-to-end'));
    const keepAlive = res.headers.filter(([n]) => n === 'keep-alive').map(([, v]) => v);
    assert.ok(!keepAlive.includes('timeout=5'), `the upstream's Keep-Alive is its own: ${keepAlive.join()}`);
  });

  it('sets X-Forwarded-For/-Proto, X-Request-Id and X-Request-Deadline, ignoring what an untrusted client claims', async () => {
    const before = Date.now();
    const res = await request(`${gw.url}/echo`, {
      headers: {
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-proto': 'https',
        'x-request-id': 'req-123',
        'x-request-deadline': '1',
        forwarded: 'for=6.6.6.6',
        'x-real-ip': '6.6.6.6',
      },
    });
    const echo = (await res.body.json()) as Echo;
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.equal(echo.headers['x-request-id'], 'req-123');
    assert.equal(res.headers['x-request-id'], 'req-123', 'the client gets the id back');
    assert.equal(echo.headers.forwarded, undefined);
    assert.equal(echo.headers['x-real-ip'], undefined);
    const deadline = Number(echo.headers['x-request-deadline']);
    assert.ok(deadline >= before + 800 && deadline <= Date.now() + 800, `deadline ${deadline} is now + the total timeout`);

    const bad = await request(`${gw.url}/echo`, { headers: { 'x-request-id': 'has spaces and <html>' } });
    const badEcho = (await bad.body.json()) as Echo;
    assert.match(badEcho.headers['x-request-id']!, /^[0-9a-f-]{36}$/, 'an unsafe id is replaced');
  });

  it('appends to X-Forwarded-For only from a trusted proxy', async () => {
    const res = await request(`${trusting.url}/echo`, {
      headers: { 'x-forwarded-for': '6.6.6.6, 10.0.0.1', 'x-forwarded-proto': 'https', forwarded: 'for=6.6.6.6' },
    });
    const echo = (await res.body.json()) as Echo;
    assert.equal(echo.headers['x-forwarded-for'], '6.6.6.6, 10.0.0.1, 127.0.0.1');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    assert.equal(echo.headers.forwarded, 'for=6.6.6.6');
  });

  it('streams a large chunked upload through intact', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const total = 128;
    const hash = createHash('sha256');
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < total; i++) {
          hash.update(chunk);
          yield chunk;
        }
      })(),
    );
    const res = await request(`${gw.url}/upload`, { method: 'POST', body });
    const out = (await res.body.json()) as { bytes: number; sha256: string };
    assert.equal(res.statusCode, 200);
    assert.equal(out.bytes, total * chunk.length);
    assert.equal(out.sha256, hash.digest('hex'));
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const small = await gateway({ upstreams: ups.map((u) => u.url), limits: { maxBodyBytes: 1024 } });
    try {
      const declared = await request(`${small.url}/upload`, { method: 'POST', body: Buffer.alloc(2048) });
      assert.equal(declared.statusCode, 413);
      assert.equal(((await declared.body.json()) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
      const streamed = await request(`${small.url}/upload`, {
        method: 'POST',
        body: Readable.from([Buffer.alloc(1024), Buffer.alloc(1024), Buffer.alloc(1024), Buffer.alloc(1024)]),
      });
      assert.equal(streamed.statusCode, 413);
      await streamed.body.dump();
    } finally {
      await small.close();
    }
  });

  it('holds a response back while the client does not read (backpressure), then delivers all of it', async () => {
    const size = 96 * 1024 * 1024;
    const socket = net.connect(gw.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.pause();
    const rss0 = process.memoryUsage().rss;
    socket.write(`GET /stream?bytes=${size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 1_500));
    const grew = process.memoryUsage().rss - rss0;
    assert.ok(
      grew < 48 * 1024 * 1024,
      `the gateway buffered ${(grew / 1048576).toFixed(1)} MiB of a ${size / 1048576} MiB response for a paused client`,
    );
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (d: Buffer) => {
        received += d.length;
      });
      socket.on('end', resolve);
      socket.on('error', reject);
      socket.resume();
    });
    assert.ok(received > size, `got ${received} bytes (headers + ${size} body)`);
  });

  it('answers 504 UPSTREAM_TIMEOUT when no upstream answers in time; a POST is not retried', async () => {
    const t0 = Date.now();
    const get = await request(`${gw.url}/hang`);
    const body = (await get.body.json()) as { error: { code: string; message: string } };
    assert.equal(get.statusCode, 504);
    assert.equal(body.error.code, 'UPSTREAM_TIMEOUT');
    assert.match(body.error.message, /2 attempts/, 'the GET was tried on both upstreams');
    assert.ok(Date.now() - t0 < 1_500);
    const post = await request(`${gw.url}/hang`, { method: 'POST', body: 'x' });
    assert.equal(post.statusCode, 504);
    assert.match(((await post.body.json()) as { error: { message: string } }).error.message, /1 attempt\)/);
  });

  it('passes WebSocket upgrades through, both ways, text and binary', async () => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/ws`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
    const messages: Array<string | Buffer> = [];
    let wake: () => void = () => {};
    ws.on('message', (data, isBinary) => {
      messages.push(isBinary ? (data as Buffer) : data.toString());
      wake();
    });
    const next = async (n: number) => {
      while (messages.length < n)
        await new Promise<void>((r) => {
          wake = r;
        });
      return messages[n - 1]!;
    };
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const hello = JSON.parse(String(await next(1))) as { id: string; headers: Record<string, string> };
    assert.ok(ups.some((u) => u.id === hello.id));
    assert.equal(hello.headers['x-forwarded-for'], '127.0.0.1');
    ws.send('ping');
    assert.equal(await next(2), `${hello.id}:ping`);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.deepEqual([...((await next(3)) as Buffer)], [1, 2, 3]);
    const gauge = async () =>
      Number(/miniscale_gateway_websockets (\d+)/.exec(await (await request(`${gw.url}/_gateway/metrics`)).body.text())?.[1]);
    assert.equal(await gauge(), 1);
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await waitFor('the relay to close', async () => (await gauge()) === 0, 2_000);
    assert.ok((await upstreamsOf(gw)).upstreams.every((u) => u.state === 'healthy'));
  });
});
