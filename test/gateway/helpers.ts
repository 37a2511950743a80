/**
 * Gateway test helpers: upstreams as real child processes (upstream-server.ts), a
 * gateway in-process with a quiet logger, and a small load generator that records
 * every request's outcome (status, which upstream answered, or the error) so tests
 * assert on the record.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Pool, request } from 'undici';
import { createLogger } from '../../src/core/logging.js';
import { startGateway, type GatewayOptions, type RunningGateway, type UpstreamView } from '../../src/gateway/index.js';
import { spawnTs } from '../support/processes.js';

export interface UpstreamHandle {
  url: string;
  id: string;
  pid: number;
  child: ChildProcess;
  knobs(k: Partial<{ latencyMs: number; failStatus: number; failRate: number; resetRate: number; ready: boolean }>): Promise<void>;
  stats(): Promise<{ total: number; byMethod: Record<string, number>; byPath: Record<string, number> }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startUpstream(id: string, args: string[] = []): Promise<UpstreamHandle> {
  const child = spawnTs('test/gateway/upstream-server.ts', ['--id', id, ...args]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const { url } = await new Promise<{ url: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`upstream ${id} did not start: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { url: string });
      }
    });
    child.once('exit', (code) => reject(new Error(`upstream ${id} exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    id,
    pid: child.pid!,
    child,
    async knobs(k) {
      const res = await request(`${url}/_knobs`, { method: 'POST', body: JSON.stringify(k) });
      await res.body.dump();
    },
    async stats() {
      const res = await request(`${url}/_stats`);
      return (await res.body.json()) as { total: number; byMethod: Record<string, number>; byPath: Record<string, number> };
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export function startUpstreams(n: number, args: (i: number) => string[] = () => []): Promise<UpstreamHandle[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => startUpstream(`u${i}`, args(i))));
}

export const quietLogger = createLogger({ component: 'gateway', level: (process.env.GATEWAY_TEST_LOG as 'debug' | undefined) ?? 'silent' });

export function gateway(opts: GatewayOptions): Promise<RunningGateway> {
  return startGateway({ listen: { port: 0, host: '127.0.0.1' }, logger: quietLogger, accessLog: false, ...opts });
}

export interface Outcome {
  status: number;
  upstream?: string;
  error?: string;
  ms: number;
}

export interface LoadOptions {
  concurrency: number;
  /** Stop after this long… */
  durationMs?: number;
  /** …or after this many requests. */
  total?: number;
  path?: string;
  method?: string;
  headers?: Record<string, string> | ((i: number) => Record<string, string>);
  /** Called once at this many ms into the run (e.g. to kill an upstream). */
  at?: { ms: number; run: () => void | Promise<void> };
}

/** Runs requests against `base` and returns one outcome per request, in completion order. */
export async function load(base: string, o: LoadOptions): Promise<Outcome[]> {
  const pool = new Pool(base, { connections: o.concurrency, pipelining: 1 });
  const out: Outcome[] = [];
  const started = Date.now();
  let issued = 0;
  const more = () => (o.total !== undefined ? issued < o.total : Date.now() - started < (o.durationMs ?? 1000));
  const timer = o.at ? setTimeout(() => void o.at!.run(), o.at.ms) : undefined;
  const worker = async () => {
    while (more()) {
      const i = issued++;
      const t0 = performance.now();
      try {
        const headers = typeof o.headers === 'function' ? o.headers(i) : o.headers;
        const res = await pool.request({
          path: o.path ?? '/',
          method: o.method ?? 'GET',
          headers,
          headersTimeout: 20_000,
          bodyTimeout: 20_000,
        });
        await res.body.dump();
        const upstream = res.headers['x-upstream-id'];
        out.push({ status: res.statusCode, upstream: typeof upstream === 'string' ? upstream : undefined, ms: performance.now() - t0 });
      } catch (err) {
        out.push({ status: 0, error: (err as Error).message, ms: performance.now() - t0 });
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearTimeout(timer);
  await pool.close();
  return out;
}

export function countBy<T>(items: T[], key: (t: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const it of items) {
    const k = key(it) ?? 'none';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export async function upstreamsOf(gw: RunningGateway): Promise<{ algorithm: string; upstreams: UpstreamView[] }> {
  const res = await request(`${gw.url}/_gateway/upstreams`);
  return (await res.body.json()) as { algorithm: string; upstreams: UpstreamView[] };
}

/** Polls `check` until it returns true or `timeoutMs` passes; resolves to the elapsed ms, or rejects. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes raw bytes to host:port and collects what comes back until the server closes
 * the connection or `idleMs` passes with nothing new (a kept-alive connection).
 */
export function rawExchange(port: number, data: string | Buffer, idleMs = 300): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(false), idleMs);
    };
    socket.on('connect', () => {
      socket.write(data);
      arm();
    });
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      arm();
    });
    socket.on('end', () => done(true));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? done(true) : reject(err)));
  });
}

/** Status and lower-cased header lines of the first response in a raw HTTP answer. */
export function parseRaw(text: string): { status: number; headers: Array<[string, string]>; body: string } {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = lines.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
  });
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}
