/**
 * What the console tests share: traffic that gives every worker something to count,
 * reading the stats, a headless Chromium (Debian's, driven by playwright-core), and an
 * address of this machine that is not the loopback.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser } from 'playwright-core';
import { Pool, request } from 'undici';
import type { StatsReport } from '../../src/console/stats-types.js';
import { REPO_ROOT } from '../support/processes.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Test artifacts (screenshots), kept out of git. */
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

export function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * GETs over `connections` keep-alive connections until stopped: /healthz, and every
 * tenth a route that does not exist (a 404, so the 4xx column has something). Several
 * connections, so that one hop's per-connection balancing reaches every worker.
 */
export function traffic(base: string, connections = 6): { sent(): number; stop(): Promise<number> } {
  const pool = new Pool(base, { connections });
  let running = true;
  let sent = 0;
  const loop = async () => {
    while (running) {
      const res = await pool.request({ path: sent++ % 10 === 9 ? '/v1/no-such-route' : '/healthz', method: 'GET' }).catch(() => undefined);
      await res?.body.dump();
      await sleep(5); // enough to draw, without taking the machine from the processes under test
    }
  };
  const loops = Array.from({ length: connections }, loop);
  return {
    sent: () => sent,
    async stop() {
      running = false;
      await Promise.all(loops);
      await pool.close();
      return sent;
    },
  };
}

/**
 * One read of the stats, bounded: in one hop, a connection that node:cluster's primary
 * was handing to a worker as it was killed is never answered (docs/guarantees.md, "What
 * a killed worker costs"), and a test must not wait for it as long as undici would.
 */
export async function readStats(base: string, headers: Record<string, string> = {}): Promise<StatsReport> {
  const res = await request(`${base}/_gateway/stats`, { headers, headersTimeout: 5_000, bodyTimeout: 5_000 });
  if (res.statusCode !== 200) throw new Error(`GET /_gateway/stats: ${res.statusCode} ${await res.body.text()}`);
  return (await res.body.json()) as StatsReport;
}

/** Polls the stats until `check` holds; the report that passed. */
export async function statsUntil(base: string, what: string, check: (r: StatsReport) => boolean, timeoutMs = 20_000): Promise<StatsReport> {
  const deadline = Date.now() + timeoutMs;
  let last: StatsReport | undefined;
  let failure: unknown;
  while (Date.now() < deadline) {
    // A read that fails at the connection (a worker killed under a kept-alive socket, or
    // the hand-off above) is what any client sees around a crash: it tries again.
    try {
      last = await readStats(base);
      failure = undefined;
      if (check(last)) return last;
    } catch (err) {
      failure = err;
    }
    await sleep(250);
  }
  const lastRead = failure
    ? `last read failed: ${String(failure)}`
    : `last stats: ${JSON.stringify(last && { t: last.t.length, rows: last.rows.map((r) => ({ id: r.id, state: r.state, now: r.now })), store: last.store && { ...last.store, series: undefined } })}`;
  throw new Error(`${what}: not within ${timeoutMs} ms; ${lastRead}`);
}

/** Some row answered requests in the last second, with a latency measured. */
export const busy = (r: StatsReport) => r.rows.some((row) => row.now.rps > 0 && row.now.p50Ms !== null);

/**
 * An IPv4 address of this machine other than the loopback, for a client that must not
 * count as local: the first interface's, or — on a host with no network but `lo` (a
 * sandboxed runner) — one the test adds to `lo` itself (root) and removes on release.
 * A connection to an address on `lo` leaves from that same address, so the server sees
 * a non-loopback client.
 */
export function nonLoopbackAddress(): { address: string; release(): void } {
  const own = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  if (own) return { address: own.address, release: () => undefined };
  // 198.18.0.0/15 is set aside for benchmarks: never routed, never someone's real address.
  const address = '198.18.21.21';
  execFileSync('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
  return {
    address,
    release: () => {
      execFileSync('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo']);
    },
  };
}
