/**
 * Runs `miniscale up` (one hop, or with --gateway) as a real process for tests: waits for its "system ready" line
 * (JSON logs, since stdout is not a terminal), and finds every process that belongs to
 * a data directory — through topology.json and, as a safety net, /proc command lines.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request, type Dispatcher } from 'undici';
import type { Topology } from '../../src/local/topology-file.js';
import { REPO_ROOT } from './processes.js';
import { runMiniscale, type CliResult } from './redis.js';

export interface UpHandle {
  child: ChildProcess;
  /** Where clients connect (the workers' shared port, or the gateway with --gateway). */
  url: string;
  /** The same URL, by the name the gateway-only tests knew it. */
  gatewayUrl: string;
  /** PIDs `up` reported when ready (nodes, and a launched cluster with its guard). */
  pids: number[];
  /** Every line `up` printed so far. */
  lines: string[];
  /** Resolves with the exit code (or signal) once `up` has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
}

const running = new Set<ChildProcess>();

export async function startUp(args: string[], env: NodeJS.ProcessEnv = {}, readyTimeoutMs = 60_000): Promise<UpHandle> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'up', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, MINISCALE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    }),
  );
  const lines: string[] = [];
  const ready = new Promise<{ url: string; pids: number[] }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`up not ready within ${readyTimeoutMs} ms:\n${lines.slice(-15).join('\n')}`)),
      readyTimeoutMs,
    );
    const onLine = (line: string) => {
      lines.push(line);
      if (!line.includes('"event":"ready"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; pids: number[] });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`up exited (${code}) before it was ready:\n${lines.slice(-15).join('\n')}`));
    });
  });
  const { url, pids } = await ready;
  return { child, url, gatewayUrl: url, pids, lines, exited };
}

/** SIGKILLs every `up` still running (and its nodes notice through their IPC channel). */
export function killAllUp(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Live (non-zombie) processes whose command line mentions `text`, other than ourselves. */
export function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes(text)) continue;
      if (isZombie(pid)) continue;
      found.push(pid);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** Alive and not a zombie (the container reaps slowly; a zombie holds nothing). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export interface LoadResult {
  total: number;
  failed: number;
  statuses: Record<string, number>;
  nodeIds: Set<string>;
}

/**
 * Authenticated GETs to `base` (the workers' port, or a gateway) over `concurrency`
 * keep-alive connections, until `stop` resolves. A failure is anything but 200 (or a
 * socket error).
 */
export async function getLoad(
  base: string,
  token: string,
  concurrency: number,
  stop: Promise<unknown>,
  timeoutMs = 20_000,
): Promise<LoadResult> {
  const pool = new Pool(base, { connections: concurrency });
  try {
    return await loadUntil(stop, concurrency, () =>
      pool.request({
        path: LOAD_PATH,
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      }),
    );
  } finally {
    await pool.close();
  }
}

/**
 * The same GETs, each on a connection of its own (as new clients arrive); each one gives
 * up after `timeoutMs`.
 */
export function freshConnectionGets(
  base: string,
  token: string,
  concurrency: number,
  stop: Promise<unknown>,
  timeoutMs = 2_000,
): Promise<LoadResult> {
  return loadUntil(stop, concurrency, () =>
    request(`${base}${LOAD_PATH}`, {
      headers: { authorization: `Bearer ${token}` },
      reset: true,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    }),
  );
}

const LOAD_PATH = '/v1/me/kv/load';

async function loadUntil(stop: Promise<unknown>, concurrency: number, get: () => Promise<Dispatcher.ResponseData>): Promise<LoadResult> {
  const result: LoadResult = { total: 0, failed: 0, statuses: {}, nodeIds: new Set() };
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  const worker = async () => {
    while (!done) {
      let status: string;
      try {
        const res = await get();
        await res.body.dump();
        status = String(res.statusCode);
        const id = res.headers['x-node-id'];
        if (typeof id === 'string') result.nodeIds.add(id);
      } catch (err) {
        status = (err as { code?: string }).code ?? 'error';
      }
      result.total++;
      result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      if (status !== '200') result.failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}

/**
 * `miniscale restart` under `connections` keep-alive connections of GETs: asserts it
 * replaced every node with no failed request.
 */
export async function rollingRestartUnderLoad(up: UpHandle, dir: string, token: string, connections: number): Promise<void> {
  const before = readUpTopology(dir);
  let restarted!: CliResult;
  const restart = runMiniscale(['restart', '--data', dir], { timeoutMs: 90_000 }).then((r) => {
    restarted = r;
  });
  const result = await getLoad(
    up.url,
    token,
    connections,
    restart.then(() => sleep(500)),
  );
  assert.equal(restarted.code, 0, restarted.stderr);
  const after = readUpTopology(dir);
  assert.equal(after.restarts, before.restarts + 1);
  for (const w of before.workers) assert.ok(!after.workers.some((n) => n.pid === w.pid), `node PID ${w.pid} was not replaced`);
  assert.ok(result.total > 200, `only ${result.total} requests`);
  assert.equal(result.failed, 0, JSON.stringify(result.statuses));
}

/** DATA/topology.json of a running `up`. */
export function readUpTopology(dir: string): Topology {
  return JSON.parse(readFileSync(path.join(dir, 'topology.json'), 'utf8')) as Topology;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
  return Date.now() - t0;
}

/** Signals `up` and waits for it to exit 0; the ms it took. */
export async function stopUp(up: UpHandle, signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
  const t0 = Date.now();
  up.child.kill(signal);
  const code = await up.exited;
  assert.equal(code, 0, `up exited with ${String(code)}:\n${up.lines.slice(-10).join('\n')}`);
  return Date.now() - t0;
}
