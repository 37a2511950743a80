/**
 * src/http/lingering-close.ts and client-error.ts on an in-process Node HTTP server,
 * over real loopback sockets: an early answer is read whole by a client still sending
 * its body, and each bound of the linger (bytes, total time, idle time) cuts off a
 * client that keeps the connection.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { answerClientError } from '../../src/http/client-error.js';
import { closeLingering, type LingerBounds } from '../../src/http/lingering-close.js';
import type { ParserError } from '../../src/http/parse-errors.js';
import { firstAnswer, rawExchange, rawUpload } from '../hardening/helpers.js';

const BOUNDS: LingerBounds = { totalMs: 1_500, idleMs: 300, maxBytes: 4 * 1024 * 1024 };
const LIMIT = 64 * 1024;
const LIMITS = { maxHeaderBytes: 16 * 1024, maxUrlBytes: 8 * 1024 };

/** Answers 413 as soon as the declared or counted body is over 64 KiB, before reading the rest. */
function refuse(req: IncomingMessage, res: ServerResponse): void {
  const tooLarge = () => {
    closeLingering(res, BOUNDS);
    res.writeHead(413, { 'content-type': 'application/json', 'content-length': 2, connection: 'close' });
    res.end('{}');
  };
  if (Number(req.headers['content-length'] ?? 0) > LIMIT) return tooLarge();
  let seen = 0;
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > LIMIT) {
      req.off('data', onData);
      req.pause();
      tooLarge();
    }
  };
  req.on('data', onData).on('end', () => res.end('ok'));
}

let server: http.Server;
let port: number;
before(async () => {
  server = http.createServer(refuse);
  server.on('clientError', (err: ParserError, socket: Socket) =>
    answerClientError(err, socket, LIMITS, () => [['X-Request-Id', 'test-id']]),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const declared = (n: number) => `PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: ${n}\r\n\r\n`;
const chunked = 'PUT / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n';

describe('closeLingering', () => {
  it('a client still sending a 3 MB body reads the whole early answer, with no EPIPE or reset, and the connection then closes', async () => {
    for (const [head, chunks] of [
      [declared(3_000_000), false],
      [chunked, true],
    ] as const) {
      const r = await rawUpload(port, head, { bytes: 3_000_000, chunked: chunks });
      assert.equal(r.answer?.status, 413);
      assert.equal(r.answer?.headers.connection, 'close');
      assert.equal(r.error, undefined, `${r.error}`);
      assert.equal(r.sent, 3_000_000);
      assert.ok(r.endedAfterMs !== undefined && r.closedAfterMs !== undefined);
    }
  });

  it('cuts off a client that keeps sending: at maxBytes when fast', async () => {
    const r = await rawUpload(port, chunked, { bytes: Infinity, chunked: true, timeoutMs: 10_000 });
    assert.equal(r.answer?.status, 413);
    assert.equal(r.errorBeforeAnswer, false);
    assert.ok(r.error, 'cut off');
    assert.ok(
      r.closedAfterMs! - r.answeredAfterMs! < BOUNDS.totalMs,
      `after ${r.closedAfterMs! - r.answeredAfterMs!} ms: the byte bound, not the time`,
    );
    assert.ok(r.sent < BOUNDS.maxBytes + 8 * 1024 * 1024, `${r.sent} bytes taken`);
  });

  it('…at totalMs when slow but never idle', async () => {
    const r = await rawUpload(port, chunked, { bytes: Infinity, chunked: true, chunkBytes: 1024, intervalMs: 50, timeoutMs: 10_000 });
    assert.equal(r.answer?.status, 413);
    const lingered = r.closedAfterMs! - r.answeredAfterMs!;
    assert.ok(r.error && lingered >= BOUNDS.totalMs - 100 && lingered < BOUNDS.totalMs + 1_000, `after ${lingered} ms`);
  });

  it('…at idleMs when it stops sending but keeps the connection', async () => {
    const r = await rawUpload(port, chunked, {
      bytes: 128 * 1024,
      chunked: true,
      finish: false,
      probeAfterMs: BOUNDS.idleMs * 3,
      timeoutMs: 10_000,
    });
    assert.equal(r.answer?.status, 413);
    assert.ok(r.error, 'the probe after 3 × idleMs found the connection closed');
    assert.ok(r.closedAfterMs! - r.answeredAfterMs! < BOUNDS.totalMs, 'well before the total bound');
  });

  it('a client that closes its side after reading the answer is let go at once', async () => {
    const r = await rawExchange(port, `${declared(1_000_000)}${'x'.repeat(100_000)}`, { halfClose: true, timeoutMs: 2_000 });
    assert.deepEqual(r.statuses, [413]);
    assert.ok(r.closed);
  });
});

describe('answerClientError', () => {
  it("a 100 KB URL gets 414 in the API's format, read whole by the client, and nothing after it", async () => {
    const r = await rawExchange(port, `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n`, {
      timeoutMs: 3_000,
    });
    assert.deepEqual(r.statuses, [414]);
    assert.ok(r.closed);
    const a = firstAnswer(r.text)!;
    assert.deepEqual(JSON.parse(a.body), { error: { code: 'URI_TOO_LONG', message: 'the URL is over 8192 bytes' } });
    assert.equal(a.headers['x-request-id'], 'test-id');
    assert.equal(a.headers.connection, 'close');
    assert.equal(a.headers['cache-control'], 'no-store');
  });

  it('headers over the limit get 431 HEADERS_TOO_LARGE, broken framing 400 VALIDATION_FAILED', async () => {
    const big = await rawExchange(port, `GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`);
    assert.equal(JSON.parse(firstAnswer(big.text)!.body).error.code, 'HEADERS_TOO_LARGE');
    const broken = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: t\r\nX-A: b\rc\r\n\r\n');
    assert.equal(JSON.parse(firstAnswer(broken.text)!.body).error.code, 'VALIDATION_FAILED');
    assert.ok(broken.closed);
  });
});
