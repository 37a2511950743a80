/**
 * Shared by the hardening tests: a raw-socket HTTP exchange (so a test can send what
 * no well-behaved client library would), a real `miniscale gateway` process in front
 * of real nodes, a dump of every entry of the embedded store read from a process of
 * its own, and the assertions these tests keep making.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { listening, REPO_ROOT, spawnTs } from '../support/processes.js';

export interface RawResult {
  /** Every status code the server sent on this connection, in order. */
  statuses: number[];
  /** Everything received. */
  text: string;
  /** The server closed the connection (rather than our timeout ending the exchange). */
  closed: boolean;
}

/**
 * Writes `raw` on a fresh connection and collects the answer until the server closes
 * or `timeoutMs` passes. Send `Connection: close` to be answered promptly. `halfClose`
 * sends FIN right after the request, as `nc -q` and some HTTP clients do.
 */
export function rawExchange(
  port: number,
  raw: string | Buffer,
  opts: { host?: string; localAddress?: string; timeoutMs?: number; halfClose?: boolean } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: opts.host ?? '127.0.0.1', ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, text, closed });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 5_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    // A reset after the server answered (it closed with our unread bytes pending) still counts as closed.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => (opts.halfClose ? socket.end(raw) : socket.write(raw)));
  });
}

export interface GatewayProcess {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** A real `miniscale gateway` process (from source) in front of `upstreams`. */
export async function startGatewayProcess(
  upstreams: string[],
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const args = ['gateway', '--port', '0', '--no-access-log', ...upstreams.flatMap((u) => ['--upstream', u]), ...extraArgs];
  const child = spawnTs('src/cli.ts', args, { MINISCALE_LOG_LEVEL: 'warn', ...env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await listening<{ url: string; port: number }>(child, 'gateway');
  return {
    ...ready,
    pid: child.pid!,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Every table of the embedded store in `dir` as `{table: {key: value}}`, read by plain
 * node in a process of its own (LMDB forbids opening one environment twice in a
 * process). The registry (`nodes`) is left out: heartbeats rewrite it every 2 s.
 */
export function dumpEmbedded(dir: string): Promise<Record<string, Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'test/hardening/dump-embedded.mjs'), dir],
      { cwd: REPO_ROOT, timeout: 20_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`dump-embedded failed: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout) as Record<string, Record<string, unknown>>);
      },
    );
  });
}

/** A 4xx in the API's error format with a stable code (and no stack trace or path in it). */
export function assertClientError(
  res: { status: number; body: unknown; text: string },
  what: string,
  expected?: { status: number; code: string },
): void {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: expected a 4xx, got ${res.status} ${res.text.slice(0, 300)}`);
  const code = (res.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  assert.equal(typeof code, 'string', `${what}: no error code in ${res.text.slice(0, 300)}`);
  assert.match(code as string, /^[A-Z][A-Z_]+$/, `${what}: code ${String(code)}`);
  if (expected) {
    assert.equal(res.status, expected.status, `${what}: ${res.text.slice(0, 300)}`);
    assert.equal(code, expected.code, what);
  }
  assert.doesNotMatch(res.text, /\bat .*\.(ts|js|mjs):\d+|node_modules|\/work\//, `${what}: leaked internals`);
}

/**
 * Request smuggling vectors and malformed framing, as raw requests: each must get one
 * 400 and a closed connection, and nothing after it answered (a `GET /smuggled` rides
 * along in most). Shared by the gateway's and the node's edge tests.
 */
export const SMUGGLING_REQUESTS: ReadonlyArray<readonly [string, string]> = [
  [
    'Content-Length with Transfer-Encoding (CL.TE)',
    'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
  ],
  [
    'Transfer-Encoding not ending in chunked',
    'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
  ],
  [
    'Transfer-Encoding: chunked, identity',
    'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
  ],
  [
    'two different Content-Lengths',
    'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 37\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
  ],
  ['a bare CR inside a header value', 'GET /echo HTTP/1.1\r\nHost: x\r\nX-A: b\rGET /smuggled HTTP/1.1\r\n\r\n'],
  ['a bare CR ending a header line', 'GET /echo HTTP/1.1\r\nHost: x\rX-Smuggled: 1\r\n\r\n'],
  ['obs-fold (a header continued on the next line)', 'GET /echo HTTP/1.1\r\nHost: x\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n\r\n'],
  ['a NUL in a header value', 'GET /echo HTTP/1.1\r\nHost: x\r\nX-A: b\0c\r\n\r\n'],
  ['whitespace before the colon', 'GET /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n'],
  ['bare LF line endings', 'GET /echo HTTP/1.1\nHost: x\n\n'],
  ['an HTTP/1.1 request without Host', 'GET /echo HTTP/1.1\r\n\r\n'],
  ['a request target that is not a path', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n'],
];

/** One response read off a raw socket: status, lower-cased headers, body text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The first whole response in `text` (Content-Length framed), or undefined while incomplete. */
export function firstAnswer(text: string): RawAnswer | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (text.length < end + 4 + length) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4, end + 4 + length) };
}

export interface UploadOptions {
  /** Body bytes to send after `head`; Infinity sends until the server cuts the connection off. */
  bytes: number;
  /** Send as chunks (`head` must say `Transfer-Encoding: chunked`). */
  chunked?: boolean;
  /** Chunked: send the last chunk once `bytes` are out; false leaves the body unfinished. @default true */
  finish?: boolean;
  /** Bytes per write. @default 64 KiB */
  chunkBytes?: number;
  /** Pause between writes (a slow client). @default 0: as fast as the socket takes them */
  intervalMs?: number;
  /** With `finish: false`: this long after the last byte, write one more chunk, to see whether the server is still there. */
  probeAfterMs?: number;
  /**
   * Stop this long after the answer is read and the body is all out, closed or not (a
   * server may keep a connection whose body it read to the end). @default wait for the close
   */
  settleMs?: number;
  /** Give up after this long. @default 20_000 */
  timeoutMs?: number;
}

export interface UploadResult {
  answer: RawAnswer | undefined;
  /** The first socket error (EPIPE, ECONNRESET…), if any. */
  error: string | undefined;
  /** That error came before the whole answer had been read. */
  errorBeforeAnswer: boolean;
  /** Body bytes written before the connection ended. */
  sent: number;
  /** ms from the start to the whole answer; to the server's FIN; to the socket closing (undefined: never, before our timeout). */
  answeredAfterMs: number | undefined;
  endedAfterMs: number | undefined;
  closedAfterMs: number | undefined;
}

/**
 * An upload over a raw socket, as a client that keeps writing its body whatever the
 * server answers (half-open allowed: the server's FIN does not stop it; it closes its
 * side after a FIN only once its whole body is out). Writes honour backpressure; the
 * answer is read as it comes. A server that closed for good is seen when a write after
 * that is reset.
 */
export function rawUpload(port: number, head: string, o: UploadOptions): Promise<UploadResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const t0 = Date.now();
    const chunkBytes = o.chunkBytes ?? 64 * 1024;
    const piece = Buffer.alloc(chunkBytes, 'x');
    const chunkHead = Buffer.from(`${chunkBytes.toString(16)}\r\n`);
    let text = '';
    let answer: RawAnswer | undefined;
    let answeredAfterMs: number | undefined;
    let endedAfterMs: number | undefined;
    let error: string | undefined;
    let errorBeforeAnswer = false;
    let sent = 0;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        answer,
        error,
        errorBeforeAnswer,
        sent,
        answeredAfterMs,
        endedAfterMs,
        closedAfterMs: closed ? Date.now() - t0 : undefined,
      });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs ?? 20_000);
    const settle = () => {
      if (o.settleMs !== undefined && answer && sent >= o.bytes) setTimeout(() => finish(false), o.settleMs);
    };
    const writeMore = (): void => {
      while (!done && !socket.destroyed && !socket.writableEnded && sent < o.bytes) {
        const n = Math.min(chunkBytes, o.bytes - sent);
        const data = n === chunkBytes ? piece : piece.subarray(0, n);
        const ok = o.chunked
          ? (socket.write(n === chunkBytes ? chunkHead : `${n.toString(16)}\r\n`), socket.write(data), socket.write('\r\n'))
          : socket.write(data);
        sent += n;
        if (o.intervalMs) {
          setTimeout(writeMore, o.intervalMs);
          return;
        }
        if (!ok) {
          socket.once('drain', writeMore);
          return;
        }
      }
      if (done || socket.destroyed || sent < o.bytes) return;
      settle();
      if (o.chunked && o.finish !== false) socket.write('0\r\n\r\n');
      // Two writes: after the server's FIN a socket no longer reads, so the reset the
      // first one provokes shows only when the second one fails (EPIPE).
      const probe = () => socket.destroyed || socket.write('1\r\nx\r\n');
      if (o.finish === false && o.probeAfterMs !== undefined)
        setTimeout(() => {
          probe();
          setTimeout(probe, 200);
        }, o.probeAfterMs);
      if (endedAfterMs !== undefined && o.finish !== false) socket.end();
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (!answer && (answer = firstAnswer(text))) {
        answeredAfterMs = Date.now() - t0;
        settle();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
      if (!answer) errorBeforeAnswer = true;
    });
    socket.on('end', () => {
      endedAfterMs = Date.now() - t0;
      if (sent >= o.bytes && o.finish !== false) socket.end();
    });
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      socket.write(head);
      writeMore();
    });
  });
}
