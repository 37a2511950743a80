/**
 * `npm run bench:store [-- --quick] [--drivers embedded,redis,redis-cluster] [--duration-ms N]`
 *
 * Measures every store operation per driver, from 1 process and from 3 processes at
 * once (50 calls in flight each), next to redis-benchmark against the same redis-server
 * in the same run, and prints one table plus the target ratios. Rows also go to
 * bench/results/store-latest.json (an array of rows; the run's settings and the
 * targets to store-latest-meta.json beside it). Everything it starts is stopped by PID at the end,
 * on an error and on Ctrl-C (see cleanup.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { openStore, type StoreConfig } from '../../src/store/open-store.js';
import { startCluster, startRedis, type Backend } from './backends.js';
import { cleanupAll, onCleanup } from './cleanup.js';
import { cpuSnapshot, foreignShare } from '../support/machine-load.js';
import { WorkerPool } from './pool.js';
import { redisBenchmark } from './redis-benchmark.js';
import { printTable, printTargets, targets, writeJson, type Row } from './report.js';
import { BOARD_SIZE, OPS, seed, type LoadOptions, type OpName } from './workload.js';

const DRIVERS = ['embedded', 'redis', 'redis-cluster'] as const;
type DriverName = (typeof DRIVERS)[number];
const CONCURRENCY = 50;
const PROCS = [1, 3];
const RESULTS = fileURLToPath(new URL('../results/store-latest.json', import.meta.url));
const RESULTS_META = fileURLToPath(new URL('../results/store-latest-meta.json', import.meta.url));
const BOARD_OPS: ReadonlySet<string> = new Set(['zset', 'ztop']);

const { values } = parseFlags();
if (values.help) {
  console.log('usage: npm run bench:store -- [--quick] [--drivers embedded,redis,redis-cluster] [--duration-ms N]');
  process.exit(0);
}
const drivers = values.drivers
  .split(',')
  .map((d) => d.trim())
  .filter(Boolean);
for (const d of drivers) {
  if (!(DRIVERS as readonly string[]).includes(d)) usage(`unknown driver '${d}' (choose from ${DRIVERS.join(', ')})`);
}
const durationMs = values['duration-ms'] === undefined ? (values.quick ? 1_000 : 3_000) : Number(values['duration-ms']);
if (!Number.isInteger(durationMs) || durationMs <= 0) usage('--duration-ms must be a positive integer');
const load: LoadOptions = { concurrency: CONCURRENCY, warmupMs: values.quick ? 300 : 1_000, durationMs };
/** Untimed calls of every op when a worker pool starts, before its first cell. */
const poolWarmupMs = values.quick ? 300 : 500;
// Enough requests that redis-benchmark runs about as long as one of our cells.
const peerRequests = values.quick ? 50_000 : 200_000;

/** One row group: a driver configuration and the operations measured on it. */
interface Target {
  label: string;
  config: StoreConfig;
  ops: readonly OpName[];
}

const started = Date.now();
const cpuAtStart = cpuSnapshot();
const rows: Row[] = [];
try {
  printHeader();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'miniscale-bench-store-'));
  onCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  for (const driver of drivers as DriverName[]) await benchDriver(driver, tmp);
  const wallMs = Date.now() - started;
  console.log('');
  printTable(rows);
  const list = targets(rows);
  printTargets(list);
  console.log(`\nwall time ${(wallMs / 1000).toFixed(1)} s; rows written to ${path.relative(process.cwd(), RESULTS)}`);
  const otherCpuShare = await otherWork();
  const meta = { ...machine(), mode: values.quick ? 'quick' : 'full', ...load, wallMs, otherCpuShare, date: new Date().toISOString() };
  writeJson(
    RESULTS,
    rows.map(({ note: _note, ...row }) => row),
  );
  writeJson(RESULTS_META, {
    meta,
    targets: list,
    notes: rows.filter((r) => r.note).map((r) => ({ driver: r.driver, op: r.op, procs: r.procs, note: r.note })),
  });
} catch (err) {
  console.error(`bench:store failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}

async function benchDriver(driver: DriverName, tmp: string): Promise<void> {
  let backend: Backend | null = null;
  let list: Target[];
  if (driver === 'embedded') {
    const dir = path.join(tmp, 'embedded');
    list = [
      { label: 'embedded', config: { driver, dir, durability: 'flush' }, ops: OPS },
      { label: 'embedded(commit)', config: { driver, dir, durability: 'commit' }, ops: ['set'] },
    ];
  } else {
    progress(`starting ${driver === 'redis' ? 'redis-server' : 'a 6-node Redis Cluster'}…`);
    backend = driver === 'redis' ? await startRedis(tmp) : await startCluster(tmp);
    list = [{ label: driver, config: { driver, url: backend.url }, ops: OPS }];
  }
  const first = list[0]!;
  progress(`${first.label}: seeding 10,000 keys and a ${BOARD_SIZE.toLocaleString('en-US')}-member board…`);
  const store = await openStore(first.config);
  await seed(store);
  await store.close();

  const peerRows: Row[] = [];
  for (const target of list) {
    for (const procs of PROCS) {
      const pool = await WorkerPool.start(procs, target.config);
      try {
        // ioredis and the guard take ~1-2 s of calls to reach full speed (JIT); without
        // this the first cell of every pool reads up to 25 % low in quick mode.
        for (const op of target.ops) await pool.run(op, { ...load, warmupMs: 0, durationMs: poolWarmupMs });
        for (const op of target.ops) {
          const m = await pool.run(op, load);
          const notes = [m.conflicts ? `${m.conflicts} CAS conflicts` : '', m.errors ? `${m.errors} errors: ${m.firstError}` : ''];
          const board = BOARD_OPS.has(op) ? { boardMembers: BOARD_SIZE } : {};
          rows.push({
            driver: target.label,
            op,
            procs,
            opsPerSec: m.opsPerSec,
            p50Ms: m.p50Ms,
            p99Ms: m.p99Ms,
            ...board,
            note: notes.filter(Boolean).join('; '),
          });
          progress(
            `${target.label} ${op} ×${procs}: ${Math.round(m.opsPerSec)} ops/s, p50 ${m.p50Ms.toFixed(3)} ms, p99 ${m.p99Ms.toFixed(3)} ms`,
          );
        }
      } finally {
        await pool.close();
      }
      // The peer runs right after the 1-process cells it is compared with, so that
      // whatever else the machine is doing affects both about equally.
      if (driver === 'redis' && backend && procs === 1) peerRows.push(...(await peer(backend.port)));
    }
  }
  rows.push(...peerRows);
  await backend?.stop();
}

async function peer(port: number): Promise<Row[]> {
  const out: Row[] = [];
  for (const pipeline of [1, 16]) {
    progress(`redis-benchmark -c 50 -P ${pipeline}…`);
    for (const r of await redisBenchmark(port, peerRequests * pipeline, pipeline)) {
      const op = `${r.test} -c50${pipeline > 1 ? ` -P${pipeline}` : ''}`;
      out.push({
        driver: 'redis-benchmark',
        op,
        procs: 1,
        opsPerSec: r.opsPerSec,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        note: pipeline > 1 ? 'pipelined, for context' : '',
      });
    }
  }
  return out;
}

function machine() {
  const cpus = os.cpus();
  return { node: process.version, cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length };
}

function printHeader(): void {
  const m = machine();
  console.log(`Miniscale store benchmark (${values.quick ? 'quick' : 'full'} mode) — node ${m.node}, ${m.cpu}`);
  console.log(`CPU: only ${m.cores} cores — the worker processes, redis-server / the cluster nodes and this process all share them`);
  // Anything else running skews every row; the load average at the start makes that visible.
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1/5/15 min)`,
  );
  console.log(
    `load: ${CONCURRENCY} calls in flight per process, ${load.warmupMs} ms warm-up + ${load.durationMs} ms per cell; procs 3 = 3 processes at once, merged`,
  );
  console.log(
    'set-ifVersion: get then compare-and-set; only the conditional set is timed. redis-benchmark: same redis-server, -d 100 -r 10000',
  );
}

/** Other work on a 2-core machine moves every number; say so instead of letting it pass silently. */
async function otherWork(): Promise<number | null> {
  await sleep(200); // let Node reap the last children, so their CPU time counts as ours
  const share = foreignShare(cpuAtStart, cpuSnapshot());
  if (share === null) return null;
  console.log(`other processes used ${(share * 100).toFixed(0)} % of the machine's CPU during this run`);
  if (share > 0.1) console.log('WARNING: the machine was busy with other work; rows and ratios are skewed — run again on a quiet machine.');
  return share;
}

function progress(message: string): void {
  console.error(`  … ${message}`);
}

function parseFlags() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        drivers: { type: 'string', default: DRIVERS.join(',') },
        'duration-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
}

function usage(message: string): never {
  console.error(`bench:store: ${message}`);
  process.exit(2);
}
