/**
 * One LMDB environment per data directory per process, shared by every embedded store
 * the process opens on that directory.
 *
 * LMDB forbids opening one environment twice in a process: its reader-liveness and
 * first-opener checks are fcntl locks, which belong to the process, so a second open
 * re-initialises the lock table under the first, and closing either one drops the
 * other's locks and frees every reader slot of the process. The other handle's next
 * read then fails its renewal, which lmdb-js reports as a bare EINVAL. lmdb-js shares
 * environments itself only when built on its own LMDB fork, and Miniscale builds it on
 * upstream LMDB 0.9 (checkLmdbEngine), so the sharing is done here.
 *
 * Each environment keeps one sweeper, started with the first opener's interval.
 */
import { open, version as lmdbVersion } from 'lmdb';
import { mkdirSync, realpathSync } from 'node:fs';
import { MissingDependencyError } from '../../core/errors.js';
import type { EmbeddedDbs } from './embedded-dbs.js';
import { initFormat } from './embedded-format.js';
import { EmbeddedSweeper } from './embedded-sweeper.js';

/**
 * LMDB's map: address space, not disk (the file grows only as data does). lmdb-js
 * otherwise starts at 128 KB and grows the map as data arrives, and every growth is a
 * resize that all processes sharing the directory must follow; under concurrent
 * writes from several processes a fresh directory lost increments and an
 * acknowledged write while it went through those resizes. One large map up front
 * avoids resizes for any realistic dataset on 64-bit systems.
 */
export const EMBEDDED_MAP_SIZE = 64 * 1024 ** 3;

const DEFAULT_SWEEP_INTERVAL_MS = 1_000;

/**
 * The LMDB engine the driver requires: upstream LMDB 0.9. lmdb-js's prebuilt binaries
 * carry a development fork (reported as LMDB 0.9.90) that failed commits (MDB_BAD_TXN) and lost an
 * acknowledged write under concurrent writes from several processes in our stress
 * runs; `npm ci` rebuilds the addon on 0.9 (scripts/build-lmdb-engine.mjs). Refusing
 * to open on the fork is better than losing data quietly.
 */
export function checkLmdbEngine(v: { major: number; minor: number; patch: number; versionString: string } = lmdbVersion): void {
  // The fork calls itself 0.9.90 (lmdb-js's own test for it is patch < 90).
  if (v.major === 0 && v.minor === 9 && v.patch < 90) return;
  throw new MissingDependencyError(
    `the embedded store needs lmdb built on LMDB 0.9, but this one runs ${v.versionString}, which is unsafe with several writing processes; ` +
      'run `npm ci` again (it rebuilds lmdb; needs a C++ toolchain: apt-get install -y build-essential python3)',
  );
}

/** A share of an open environment; `release` once, when the store that holds it closes. */
export interface EnvLease {
  readonly dbs: EmbeddedDbs;
  release(): Promise<void>;
}

interface SharedEnv {
  dbs: EmbeddedDbs;
  sweeper: EmbeddedSweeper;
  leases: number;
}

/** Open (or opening) environments by real directory path. */
const opened = new Map<string, Promise<SharedEnv>>();
/** Environments being closed, so that a reopen waits for the close to finish first. */
const closing = new Map<string, Promise<void>>();

/** A lease on the directory's environment, opening it (and creating the directory) if this process has none. */
export async function leaseEmbeddedEnv(dir: string, sweepIntervalMs = DEFAULT_SWEEP_INTERVAL_MS): Promise<EnvLease> {
  checkLmdbEngine();
  mkdirSync(dir, { recursive: true });
  const key = realpathSync(dir);
  let pending: Promise<SharedEnv> | undefined;
  let env: SharedEnv;
  // Again when the last lease was released (and the environment closed) while this one waited.
  do {
    pending = opened.get(key);
    if (!pending) {
      pending = openShared(key, sweepIntervalMs);
      opened.set(key, pending);
      pending.catch(() => opened.delete(key));
    }
    env = await pending;
  } while (opened.get(key) !== pending);
  env.leases++;
  let released = false;
  return {
    dbs: env.dbs,
    release: async () => {
      if (released) return;
      released = true;
      if (--env.leases > 0) return;
      opened.delete(key);
      env.sweeper.stop();
      const done = env.dbs.root.close().finally(() => closing.delete(key));
      closing.set(key, done);
      await done;
    },
  };
}

async function openShared(dir: string, sweepIntervalMs: number): Promise<SharedEnv> {
  await closing.get(dir);
  const root = open({ path: dir, maxDbs: 16, overlappingSync: false, mapSize: EMBEDDED_MAP_SIZE });
  try {
    const dbs: EmbeddedDbs = {
      root,
      kv: root.openDB('kv', {}),
      kvRaw: root.openDB('kv', { encoding: 'binary' }),
      expiry: root.openDB('kv-expiry', {}),
      counters: root.openDB('counters', {}),
      scores: root.openDB('scores', {}),
      ranking: root.openDB('ranking', {}),
      limits: root.openDB('limits', {}),
      locks: root.openDB('locks', {}),
      fences: root.openDB('fences', {}),
      nodes: root.openDB('nodes', {}),
      rankTree: root.openDB('rank-tree', {}),
      meta: root.openDB('meta', {}),
    };
    await initFormat(root, dbs.meta, [dbs.kv, dbs.counters, dbs.scores, dbs.limits, dbs.locks, dbs.fences, dbs.nodes]);
    const sweeper = new EmbeddedSweeper(dbs, sweepIntervalMs);
    sweeper.start();
    return { dbs, sweeper, leases: 0 };
  } catch (err) {
    await root.close().catch(() => {});
    throw err;
  }
}
