/**
 * Hostile and broken clients, over raw sockets (as Node's own HTTP tests do): request
 * smuggling vectors and malformed framing get 400 and a closed connection, oversized
 * URLs and headers get 414 and 431 (a 100 KB URL too, which Node's parser reports as a
 * header overflow), oversized bodies a 413 the client can read before the connection
 * closes, nothing smuggled reaches an upstream, slowloris clients are cut off — and
 * through all of it the gateway keeps serving.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RunningGateway } from '../../src/gateway/index.js';
import { Readable } from 'node:stream';
import { firstAnswer, rawUpload, SMUGGLING_REQUESTS } from '../hardening/helpers.js';
import { killAll } from '../support/processes.js';
import { gateway, load, parseRaw, rawExchange, startUpstreams, type UpstreamHandle } from './helpers.js';

describe('limits and hostile input', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(2);
    gw = await gateway({ upstreams: ups.map((u) => u.url), timeouts: { headersMs: 2_000, requestMs: 5_000 } });
  });
  after(async () => {
    await gw.close();
    killAll();
  });

  const stillServing = async () => {
    const res = await request(`${gw.url}/`);
    await res.body.dump();
    assert.equal(res.statusCode, 200, 'the gateway still serves');
  };

  for (const [name, raw] of SMUGGLING_REQUESTS) {
    it(`answers 400 and closes the connection for ${name}`, async () => {
      const { text, closed } = await rawExchange(gw.port, raw);
      const res = parseRaw(text);
      assert.equal(res.status, 400, text.slice(0, 200));
      assert.ok(closed, 'the connection is closed');
      assert.equal(text.match(/^HTTP\/1\.1 \d{3} /gm)?.length, 1, 'exactly one response: nothing smuggled was answered');
      if (res.body) assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
      await stillServing();
    });
  }

  it('never lets a smuggled request reach an upstream', async () => {
    const stats = await Promise.all(ups.map((u) => u.stats()));
    for (const s of stats) assert.equal(s.byPath['/smuggled'] ?? 0, 0);
  });

  it('answers 414 to a URL over 8 KiB', async () => {
    const { text } = await rawExchange(gw.port, `GET /${'a'.repeat(9 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const res = parseRaw(text);
    assert.equal(res.status, 414);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'URI_TOO_LONG');
    await stillServing();
  });

  for (const [name, raw] of [
    ["a 100 KB URL (Node's parser reports a header overflow)", `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    [
      'a 15 KiB URL with 2 KB of headers (over 16 KiB together)',
      `GET /${'a'.repeat(15 * 1024)} HTTP/1.1\r\nHost: x\r\nUser-Agent: ${'u'.repeat(2000)}\r\n\r\n`,
    ],
  ] as const) {
    it(`answers 414 to ${name}, in the API's error format, and closes`, async () => {
      const { text, closed } = await rawExchange(gw.port, raw);
      const res = firstAnswer(text);
      assert.equal(res?.status, 414, text.slice(0, 200));
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'URI_TOO_LONG');
      assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(closed);
      await stillServing();
    });
  }

  it('answers 431 to headers over 16 KiB and closes the connection', async () => {
    const { text, closed } = await rawExchange(gw.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`);
    const res = parseRaw(text);
    assert.equal(res.status, 431);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'HEADERS_TOO_LARGE');
    assert.ok(closed);
    await stillServing();
  });

  it('a body over --max-body gets 413 the client reads whole — declared or chunked, undici or raw — then a lingering close', async () => {
    const size = 10_000_000;
    const declared = await request(`${gw.url}/upload`, { method: 'POST', body: Buffer.alloc(size, 'x') });
    assert.equal(declared.statusCode, 413);
    assert.equal(declared.headers.connection, 'close');
    assert.equal(((await declared.body.json()) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    const piece = Buffer.alloc(64 * 1024, 'x');
    const streamed = await request(`${gw.url}/upload`, {
      method: 'POST',
      body: Readable.from(
        (function* () {
          for (let i = 0; i < 160; i++) yield piece;
        })(),
      ),
    });
    assert.equal(streamed.statusCode, 413);
    assert.equal(((await streamed.body.json()) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    for (const chunked of [false, true]) {
      const head = `POST /upload HTTP/1.1\r\nHost: x\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`}\r\n\r\n`;
      const r = await rawUpload(gw.port, head, { bytes: size, chunked });
      assert.equal(r.answer?.status, 413, `chunked: ${chunked}`);
      assert.equal((JSON.parse(r.answer.body) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
      assert.ok(r.answer.headers['x-request-id']);
      assert.equal(r.error, undefined, `chunked: ${chunked}: ${r.error} (the client's writes must not fail)`);
      assert.ok(r.endedAfterMs !== undefined, 'the gateway closed once the body was in');
    }
    await stillServing();
  });

  it('cuts off a client that keeps sending after its 413 within 5 s', async () => {
    const r = await rawUpload(gw.port, 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', {
      bytes: Infinity,
      chunked: true,
      intervalMs: 100,
      timeoutMs: 15_000,
    });
    assert.equal(r.answer?.status, 413);
    assert.equal(r.errorBeforeAnswer, false);
    const lingered = r.closedAfterMs! - r.answeredAfterMs!;
    assert.ok(r.error !== undefined && lingered < 6_500, `cut off ${lingered} ms after the answer (${r.error})`);
  });

  it("raw answers (a 400 for broken framing, a 408) carry X-Request-Id and the API's error format", async () => {
    const slow = await gateway({ upstreams: ups.map((u) => u.url), timeouts: { headersMs: 500, requestMs: 1_000 } });
    try {
      const broken = firstAnswer((await rawExchange(slow.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n')).text);
      assert.equal(broken?.status, 400);
      assert.equal((JSON.parse(broken.body) as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
      assert.match(broken.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
      const late = firstAnswer((await rawExchange(slow.port, 'GET / HTTP/1.1\r\nHost: x\r\n', 2_000)).text);
      assert.equal(late?.status, 408);
      assert.equal((JSON.parse(late.body) as { error: { code: string } }).error.code, 'REQUEST_TIMEOUT');
      assert.match(late.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    } finally {
      await slow.close();
    }
  });

  it('keeps serving normal traffic while 200 slowloris clients dribble headers, and cuts them off', async () => {
    const sockets: net.Socket[] = [];
    let closed = 0;
    let got408 = 0;
    for (let i = 0; i < 200; i++) {
      const s = net.connect(gw.port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        if (d.toString().startsWith('HTTP/1.1 408')) got408++;
      });
      s.on('close', () => {
        closed++;
      });
      s.write('GET / HTTP/1.1\r\nHost: x\r\n');
      sockets.push(s);
    }
    // One more header byte from every slow client every 200 ms: never idle, never done.
    const drip = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write('X');
    }, 200);
    try {
      const out = await load(gw.url, { concurrency: 8, durationMs: 2_500 });
      const ms = out.map((o) => o.ms).sort((a, b) => a - b);
      const p99 = ms[Math.floor(ms.length * 0.99)]!;
      process.stdout.write(
        `# slowloris: ${out.length} normal requests, p99 ${p99.toFixed(1)} ms, ${closed} of 200 slow sockets closed so far\n`,
      );
      assert.equal(out.filter((o) => o.status !== 200).length, 0);
      assert.ok(out.length > 500, `normal traffic flowed (${out.length})`);
      assert.ok(p99 < 250, `p99 ${p99} ms`);
      // headersTimeout is 2 s; Node checks every 500 ms.
      const t0 = Date.now();
      while (closed < 200 && Date.now() - t0 < 3_000) await new Promise((r) => setTimeout(r, 100));
      assert.equal(closed, 200, 'every slowloris socket was closed');
      assert.ok(got408 > 150, `they were told 408 (${got408})`);
    } finally {
      clearInterval(drip);
      for (const s of sockets) s.destroy();
    }
  });
});
