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
export function rawExchange(port: number, raw: string | Buffer, opts: { host?: string; localAddress?: string; timeoutMs?: number; halfClose?: boolean } = {}): Promise<RawResult> {
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
export async function startGatewayProcess(upstreams: string[], extraArgs: string[] = [], env: Record<string, string> = {}): Promise<GatewayProcess> {
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
    execFile(process.execPath, [path.join(REPO_ROOT, 'test/hardening/dump-embedded.mjs'), dir], { cwd: REPO_ROOT, timeout: 20_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`dump-embedded failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as Record<string, Record<string, unknown>>);
    });
  });
}

/** A 4xx in the API's error format with a stable code (and no stack trace or path in it). */
export function assertClientError(res: { status: number; body: unknown; text: string }, what: string, expected?: { status: number; code: string }): void {
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
