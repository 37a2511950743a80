/**
 * Hostile and broken clients, over raw sockets (as Node's own HTTP tests do): request
 * smuggling vectors and malformed framing get 400 and a closed connection, oversized
 * URLs and headers get 414 and 431, nothing smuggled reaches an upstream, slowloris
 * clients are cut off — and through all of it the gateway keeps serving.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RunningGateway } from '../../src/gateway/index.js';
import { killAll } from '../support/processes.js';
import { gateway, load, parseRaw, rawExchange, startUpstreams, type UpstreamHandle } from './helpers.js';

const SMUGGLING: Array<[string, string]> = [
  ['Content-Length with Transfer-Encoding (CL.TE)',
    'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['Transfer-Encoding not ending in chunked',
    'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['Transfer-Encoding: chunked, identity',
    'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['two different Content-Lengths',
    'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 37\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a bare CR inside a header value', 'GET /echo HTTP/1.1\r\nHost: x\r\nX-A: b\rGET /smuggled HTTP/1.1\r\n\r\n'],
  ['a bare CR ending a header line', 'GET /echo HTTP/1.1\r\nHost: x\rX-Smuggled: 1\r\n\r\n'],
  ['obs-fold (a header continued on the next line)', 'GET /echo HTTP/1.1\r\nHost: x\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n\r\n'],
  ['a NUL in a header value', 'GET /echo HTTP/1.1\r\nHost: x\r\nX-A: b\0c\r\n\r\n'],
  ['whitespace before the colon', 'GET /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n'],
  ['bare LF line endings', 'GET /echo HTTP/1.1\nHost: x\n\n'],
  ['an HTTP/1.1 request without Host', 'GET /echo HTTP/1.1\r\n\r\n'],
  ['a request target that is not a path', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n'],
];

describe('limits and hostile input', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(2);
    gw = await gateway({ upstreams: ups.map((u) => u.url), headersTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
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

  for (const [name, raw] of SMUGGLING) {
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

  it('answers 431 to headers over 16 KiB and closes the connection', async () => {
    const { text, closed } = await rawExchange(gw.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`);
    const res = parseRaw(text);
    assert.equal(res.status, 431);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'HEADERS_TOO_LARGE');
    assert.ok(closed);
    await stillServing();
  });

  it('keeps serving normal traffic while 200 slowloris clients dribble headers, and cuts them off', async () => {
    const sockets: net.Socket[] = [];
    let closed = 0;
    let got408 = 0;
    for (let i = 0; i < 200; i++) {
      const s = net.connect(gw.port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => { if (d.toString().startsWith('HTTP/1.1 408')) got408++; });
      s.on('close', () => { closed++; });
      s.write('GET / HTTP/1.1\r\nHost: x\r\n');
      sockets.push(s);
    }
    // One more header byte from every slow client every 200 ms: never idle, never done.
    const drip = setInterval(() => { for (const s of sockets) if (!s.destroyed) s.write('X'); }, 200);
    try {
      const out = await load(gw.url, { concurrency: 8, durationMs: 2_500 });
      const ms = out.map((o) => o.ms).sort((a, b) => a - b);
      const p99 = ms[Math.floor(ms.length * 0.99)]!;
      process.stdout.write(`# slowloris: ${out.length} normal requests, p99 ${p99.toFixed(1)} ms, ${closed} of 200 slow sockets closed so far\n`);
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
