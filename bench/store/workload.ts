/**
 * What one benchmark cell does: the data set, the six operations and the closed-loop
 * load generator (a fixed number of calls in flight for a fixed time). Shared by the
 * seeding step in run.ts and by every worker process, so all of them agree on keys.
 */
import { VersionConflictError } from '../../src/core/errors.js';
import type { JsonObject, Store } from '../../src/store/store.js';
import { Histogram, type HistogramData } from './histogram.js';

export const OPS = ['get', 'set', 'set-ifVersion', 'incr', 'zset', 'ztop'] as const;
export type OpName = (typeof OPS)[number];

export const KEY_COUNT = 10_000;
/** A real game's board: ranks must not cost O(rank) on it. */
export const BOARD_SIZE = 100_000;
/** App-wide counters are few and hot; 100 spreads them over every cluster shard. */
export const COUNTER_COUNT = 100;
const BOARD = 'bench:board';
const TOP_N = 10;

const keyName = (i: number) => `bench:kv:${i}`;
const memberName = (i: number) => `m${i}`;
const rand = (n: number) => Math.floor(Math.random() * n);

/** A ~100-byte JSON object, shaped like a small per-user record. */
export function makeValue(i: number): JsonObject {
  return { id: i, name: `user-${i}`, level: i % 50, coins: rand(100_000), tags: ['bench', 'store'], note: 'x'.repeat(24) };
}

/** Wraps exactly the call whose latency counts (set-ifVersion reads first, untimed). */
type Timed = <T>(call: () => Promise<T>) => Promise<T>;
type OpFn = (timed: Timed) => Promise<unknown>;

function opFn(store: Store, op: OpName): OpFn {
  switch (op) {
    case 'get':
      return (timed) => timed(() => store.get(keyName(rand(KEY_COUNT))));
    case 'set':
      return (timed) => {
        const i = rand(KEY_COUNT);
        return timed(() => store.set(keyName(i), makeValue(i)));
      };
    case 'set-ifVersion':
      // Read-then-CAS is the real pattern; only the conditional write is timed, so this
      // row compares with plain `set`. A lost race is a valid answer (counted as conflict).
      return async (timed) => {
        const i = rand(KEY_COUNT);
        const entry = await store.get(keyName(i));
        const opts = entry ? { ifVersion: entry.version } : { ifAbsent: true };
        return timed(() => store.set(keyName(i), makeValue(i), opts));
      };
    case 'incr':
      return (timed) => timed(() => store.incr(`bench:counter:${rand(COUNTER_COUNT)}`));
    case 'zset':
      // mode 'set' so every call really writes (with 'best' most calls become no-ops); every
      // member is already on the board, so each call moves one of BOARD_SIZE entries.
      return (timed) => timed(() => store.zset(BOARD, memberName(rand(BOARD_SIZE)), rand(1_000_000), { mode: 'set' }));
    case 'ztop':
      return (timed) => timed(() => store.ztop(BOARD, TOP_N));
  }
}

/** Writes the 10,000 keys and the 100,000-member board that get/set-ifVersion/zset/ztop use. */
export async function seed(store: Store, inFlight = 200): Promise<void> {
  const jobs: Array<() => Promise<unknown>> = [];
  for (let i = 0; i < KEY_COUNT; i++) jobs.push(() => store.set(keyName(i), makeValue(i)));
  for (let i = 0; i < BOARD_SIZE; i++) jobs.push(() => store.zset(BOARD, memberName(i), rand(1_000_000), { mode: 'set' }));
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

export interface LoadOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

/** One process's measurement of one cell, sent to run.ts over IPC. */
export interface CellResult {
  /** Calls that started after the warm-up and completed. */
  ops: number;
  /** From the end of the warm-up to the last measured completion. */
  elapsedMs: number;
  conflicts: number;
  errors: number;
  firstError: string | null;
  hist: HistogramData;
}

/**
 * Closed loop: `concurrency` lanes each issue the next call as soon as the previous one
 * answers, until the deadline. Calls started during the warm-up are not recorded, so
 * connection set-up, JIT and cold caches stay out of the numbers.
 */
export async function runLoad(store: Store, op: OpName, opts: LoadOptions): Promise<CellResult> {
  const fn = opFn(store, op);
  const hist = new Histogram();
  const start = process.hrtime.bigint();
  const measureFrom = start + BigInt(opts.warmupMs) * 1_000_000n;
  const stopAt = measureFrom + BigInt(opts.durationMs) * 1_000_000n;
  let lastEnd = measureFrom;
  let conflicts = 0;
  let errors = 0;
  let firstError: string | null = null;

  const record = (t0: bigint) => {
    const t1 = process.hrtime.bigint();
    if (t0 < measureFrom) return;
    hist.record(Number(t1 - t0));
    if (t1 > lastEnd) lastEnd = t1;
  };
  // Answers count, refusals (a lost compare-and-set) too; failures only in `errors`.
  const timed: Timed = async (call) => {
    const t0 = process.hrtime.bigint();
    try {
      const result = await call();
      record(t0);
      return result;
    } catch (err) {
      if (err instanceof VersionConflictError) record(t0);
      throw err;
    }
  };
  const lane = async () => {
    for (;;) {
      // One clock read per iteration: the harness costs ~0.3 µs a call, which is
      // measurable next to a ~3 µs embedded read.
      const now = process.hrtime.bigint();
      if (now >= stopAt) break;
      const measured = now >= measureFrom;
      try {
        await fn(timed);
      } catch (err) {
        if (!measured) continue;
        if (err instanceof VersionConflictError) conflicts++;
        else {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
  return { ops: hist.count, elapsedMs: Number(lastEnd - measureFrom) / 1e6, conflicts, errors, firstError, hist: hist.toData() };
}
