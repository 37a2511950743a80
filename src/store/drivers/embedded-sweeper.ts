/**
 * Removes expired data from the embedded store's disk. Reads already ignore expired
 * entries, so sweeping is about space, not correctness: it may lag or run in several
 * processes at once. Each batch re-checks expiry inside its write transaction, so two
 * sweepers (or a sweeper racing a fresh write) can never delete live data.
 */
import type { EmbeddedDbs } from './embedded-dbs.js';
import { gcraNowUs } from '../gcra.js';
import { readStoredKv } from './embedded-kv-read.js';

/** Entries removed per write transaction, so a sweep never holds the writer lock for long. */
const BATCH = 500;
/** Rate-limit, lock and registry entries are few or cheap; scan them this many times less often. */
const FULL_SCAN_EVERY = 30;

export class EmbeddedSweeper {
  readonly #db: EmbeddedDbs;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #round = 0;
  #running = false;

  constructor(db: EmbeddedDbs, intervalMs: number) {
    this.#db = db;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    // Jitter so that the node processes sharing one directory do not sweep in lockstep.
    const delay = this.#intervalMs * (0.5 + Math.random());
    this.#timer = setTimeout(() => void this.#tick(), delay);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.sweepExpiredKv();
      if (this.#round++ % FULL_SCAN_EVERY === 0) await this.sweepSmallTables();
    } catch {
      // A failed sweep (e.g. the store closing under it) is retried next round;
      // reads never depend on it.
    } finally {
      this.#running = false;
      if (this.#timer) this.start();
    }
  }

  /** Deletes kv entries whose expiry has passed, oldest first, in bounded batches. */
  async sweepExpiredKv(): Promise<number> {
    const { root, kv, expiry } = this.#db;
    let removed = 0;
    for (;;) {
      const now = Date.now();
      const due = [...expiry.getKeys({ start: [0, ''], end: [now, ''], limit: BATCH })];
      if (due.length === 0) return removed;
      await root.transaction(() => {
        for (const [exp, key] of due) {
          const rec = readStoredKv(kv, key);
          if (rec && rec.exp === exp && exp <= now) kv.removeSync(key);
          expiry.removeSync([exp, key]);
        }
      });
      removed += due.length;
      if (due.length < BATCH) return removed;
    }
  }

  /** Drops rate-limit states that have fully drained, and expired locks and nodes. */
  async sweepSmallTables(): Promise<void> {
    const { root, limits, locks, nodes } = this.#db;
    const nowUs = gcraNowUs();
    const now = Date.now();
    const staleLimits = collect(limits.getRange({}), (tat) => tat <= nowUs);
    const staleLocks = collect(locks.getRange({}), (lock) => lock.exp <= now);
    const staleNodes = collect(nodes.getRange({}), (node) => node.exp <= now);
    if (staleLimits.length + staleLocks.length + staleNodes.length === 0) return;
    // Re-checked inside the transaction: another process may have refreshed an entry since the scan.
    await root.transaction(() => {
      for (const key of staleLimits) if ((limits.get(key) ?? Infinity) <= nowUs) limits.removeSync(key);
      for (const key of staleLocks) if ((locks.get(key)?.exp ?? Infinity) <= now) locks.removeSync(key);
      for (const key of staleNodes) if ((nodes.get(key)?.exp ?? Infinity) <= now) nodes.removeSync(key);
    });
  }
}

/** Keys of stale entries, at most BATCH of them per round, so memory stays bounded. */
function collect<V>(range: Iterable<{ key: string; value: V }>, stale: (value: V) => boolean): string[] {
  const keys: string[] = [];
  for (const { key, value } of range) {
    if (stale(value)) keys.push(key);
    if (keys.length >= BATCH) break;
  }
  return keys;
}
