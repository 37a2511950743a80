/**
 * The embedded driver: one LMDB environment in a directory, opened by every API node
 * process on the machine at once. LMDB serialises writers with a process-shared,
 * robust mutex, so a read-modify-write inside `transaction()` is atomic across
 * processes (compare-and-set, incr, rate limits, locks), and a process killed
 * mid-transaction releases the lock instead of wedging the others.
 *
 * Engine: upstream LMDB 0.9, checked at open; one environment per directory per
 * process, shared by the stores opened on it (embedded-env.ts).
 *
 * Durability: commits are synchronous LMDB commits (fsync before the commit returns,
 * `overlappingSync: false`). lmdb-js's default overlappingSync (commit now, flush
 * later, pick a meta page on reopen) lost an acknowledged write after SIGKILL of all
 * writers under load in CI; with synchronous commits the same stress test keeps every
 * acknowledged write. `durability: 'flush'` additionally awaits `flushed`.
 *
 * Reads are synchronous from a read snapshot that lmdb-js renews each event turn, so
 * they see other processes' commits from the next turn on.
 */
import { InternalError, isMiniscaleError, StoreUnavailableError, ValidationError, VersionConflictError } from '../../core/errors.js';
import type { EmbeddedStoreConfig } from '../config.js';
import type {
  DeleteOptions,
  Entry,
  JsonEntry,
  JsonObject,
  JsonValue,
  Lock,
  RateLimitResult,
  RegisteredNode,
  ScoreEntry,
  ScoreMode,
  SetOptions,
  StoreDriver,
} from '../store.js';
import { TOMBSTONE_TTL_MS } from '../store.js';
import { gcraNowUs, gcraStep } from '../gcra.js';
import type { KvRecord } from './embedded-record.js';
import { readStoredKv, readStoredValue } from './embedded-kv-read.js';
import { packRecord, packTombstone } from './embedded-packed-record.js';
import { FORMAT_PACKED, formatOf, upgradeFormat, type UpgradeResult } from './embedded-format.js';
import { RankIndex } from './embedded-rank-index.js';
import type { EmbeddedDbs } from './embedded-dbs.js';
import { leaseEmbeddedEnv, type EnvLease } from './embedded-env.js';

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Data (values, counters, scores) is acknowledged after the fsync. Coordination state
 * (rate-limit arrival times, locks, registry heartbeats) is acknowledged on commit:
 * only a machine crash can lose its last second, and after a machine crash every
 * process that used it is gone too. Skipping the fsync wait keeps a rate-limit check
 * off the disk's latency.
 */
const DURABLE = 'durable';
const EPHEMERAL = 'ephemeral';
type WriteKind = typeof DURABLE | typeof EPHEMERAL;

export async function openEmbeddedDriver(config: EmbeddedStoreConfig): Promise<EmbeddedDriver> {
  try {
    return new EmbeddedDriver(await leaseEmbeddedEnv(config.dir, config.sweepIntervalMs), config);
  } catch (err) {
    if (isMiniscaleError(err)) throw err;
    throw new StoreUnavailableError(`cannot open the embedded store in ${config.dir}: ${(err as Error).message}`, { cause: err });
  }
}

export class EmbeddedDriver implements StoreDriver {
  readonly driver = 'embedded' as const;
  /** LMDB reads are lookups in the memory map; no lock, no I/O wait (see StoreDriver). */
  readonly readsAreLocal = true;
  readonly #db: EmbeddedDbs;
  readonly #lease: EnvLease;
  readonly #waitForFlush: boolean;
  readonly #ranks: RankIndex;

  constructor(lease: EnvLease, config: EmbeddedStoreConfig) {
    this.#lease = lease;
    this.#db = lease.dbs;
    this.#waitForFlush = (config.durability ?? 'flush') === 'flush';
    this.#ranks = new RankIndex(lease.dbs.ranking, lease.dbs.rankTree);
  }

  async getJson(key: string): Promise<JsonEntry | null> {
    return this.getJsonNow(key);
  }

  getJsonNow(key: string): JsonEntry | null {
    const rec = readStoredKv(this.#fresh().kv, key);
    return rec && isLive(rec) ? { json: rec.j, version: rec.ver, expiresAt: rec.exp || null } : null;
  }

  getNow(key: string): Entry | null {
    const rec = readStoredValue(this.#fresh().kv, key);
    return rec && (rec.exp === 0 || rec.exp > Date.now()) ? { value: rec.value, version: rec.ver, expiresAt: rec.exp || null } : null;
  }

  async set(key: string, value: JsonValue, json: string, opts: SetOptions): Promise<Entry> {
    const { kv, expiry } = this.#db;
    const outcome = await this.#write(DURABLE, () => {
      const old = readStoredKv(kv, key);
      const current = old && isLive(old) ? old : undefined;
      if (opts.ifAbsent && current) return { conflict: current.ver };
      if (opts.ifVersion !== undefined && current?.ver !== opts.ifVersion) return { conflict: current?.ver ?? null };
      const now = Date.now();
      const rec: KvRecord = { j: json, ver: Math.max((old?.ver ?? 0) + 1, now), exp: opts.ttlMs ? now + opts.ttlMs : 0 };
      if (old?.exp) expiry.removeSync([old.exp, key]);
      if (rec.exp) expiry.putSync([rec.exp, key], true);
      this.#putKv(key, rec, value);
      return { rec };
    });
    if ('conflict' in outcome) throw conflict(key, outcome.conflict ?? null);
    return { value, version: outcome.rec.ver, expiresAt: outcome.rec.exp || null };
  }

  async delete(key: string, opts: DeleteOptions): Promise<boolean> {
    const { kv, expiry } = this.#db;
    const outcome = await this.#write(DURABLE, () => {
      const old = readStoredKv(kv, key);
      const current = old && isLive(old) ? old : undefined;
      if (opts.ifVersion !== undefined && current?.ver !== opts.ifVersion) return { conflict: current?.ver ?? null };
      if (!current) return { deleted: false };
      // Keep the version as a tombstone; the sweeper removes it after TOMBSTONE_TTL_MS.
      const tombstone: KvRecord = { j: null, ver: current.ver, exp: Date.now() + TOMBSTONE_TTL_MS };
      if (current.exp) expiry.removeSync([current.exp, key]);
      expiry.putSync([tombstone.exp, key], true);
      this.#putKv(key, tombstone, null);
      return { deleted: true };
    });
    if ('conflict' in outcome) throw conflict(key, outcome.conflict ?? null);
    return outcome.deleted;
  }

  async incr(key: string, by: number): Promise<number> {
    const { counters } = this.#db;
    const next = await this.#write(DURABLE, () => {
      const value = (counters.get(key) ?? 0) + by;
      if (Math.abs(value) > SAFE_MAX) return null;
      counters.putSync(key, value);
      return value;
    });
    if (next === null) throw new ValidationError(`counter ${key} would leave the range ±(2^53-1)`);
    return next;
  }

  async counter(key: string): Promise<number> {
    return this.#fresh().counters.get(key) ?? 0;
  }

  async zset(board: string, member: string, score: number, mode: ScoreMode): Promise<ScoreEntry> {
    const { scores, ranking, meta } = this.#db;
    const ranks = this.#ranks;
    const stored = await this.#write(DURABLE, () => {
      const old = scores.get([board, member]);
      const next = mode === 'best' && old !== undefined ? Math.max(old, score) : score;
      const counted = formatOf(meta) === FORMAT_PACKED;
      if (old === next) return { score: next, rank: counted ? ranks.rankOf(board, negate(next), member) : undefined };
      let rank: number | undefined;
      if (counted) {
        rank = ranks.move(board, old === undefined ? undefined : negate(old), negate(next), member);
      } else {
        if (old !== undefined) ranking.removeSync([board, negate(old), member]);
        ranking.putSync([board, negate(next), member], true);
      }
      scores.putSync([board, member], next);
      return { score: next, rank };
    });
    // Format 1 has no rank levels: ranked after the commit, outside the write lock, by
    // counting — O(rank), so it must not hold up every other writer.
    return { member, score: stored.score, rank: stored.rank ?? this.#countRank(board, member, stored.score) };
  }

  async zscore(board: string, member: string): Promise<number | null> {
    return this.#fresh().scores.get([board, member]) ?? null;
  }

  async zrank(board: string, member: string): Promise<number | null> {
    const { scores, meta } = this.#fresh();
    const score = scores.get([board, member]);
    if (score === undefined) return null;
    return formatOf(meta) === FORMAT_PACKED ? this.#ranks.rankOf(board, negate(score), member) : this.#countRank(board, member, score);
  }

  async ztop(board: string, n: number): Promise<ScoreEntry[]> {
    const out: ScoreEntry[] = [];
    for (const key of this.#fresh().ranking.getKeys({ start: [board], limit: n })) {
      if (key[0] !== board) break;
      out.push({ member: key[2], score: negate(key[1]), rank: out.length + 1 });
    }
    return out;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const { limits } = this.#db;
    return this.#write(EPHEMERAL, () => {
      const step = gcraStep(limits.get(key), gcraNowUs(), limit, windowMs);
      if (step.newTatUs !== undefined) limits.putSync(key, step.newTatUs);
      return { allowed: step.allowed, remaining: step.remaining, retryAfterMs: step.retryAfterMs };
    });
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lock | null> {
    const { locks, fences } = this.#db;
    return this.#write(EPHEMERAL, () => {
      const now = Date.now();
      const held = locks.get(name);
      if (held && held.exp > now && held.owner !== owner) return null;
      const sameHolder = held && held.exp > now && held.owner === owner;
      const token = sameHolder ? held.token : (fences.get(name) ?? 0) + 1;
      if (!sameHolder) fences.putSync(name, token);
      const exp = now + ttlMs;
      locks.putSync(name, { owner, token, exp });
      return { name, owner, token, expiresAt: exp };
    });
  }

  async release(lock: Lock): Promise<boolean> {
    const { locks } = this.#db;
    return this.#write(EPHEMERAL, () => {
      const held = locks.get(lock.name);
      if (!held || held.owner !== lock.owner || held.token !== lock.token || held.exp <= Date.now()) return false;
      locks.removeSync(lock.name);
      return true;
    });
  }

  async register(nodeId: string, info: JsonObject, ttlMs: number): Promise<void> {
    await this.#write(EPHEMERAL, () => this.#db.nodes.putSync(nodeId, { info, exp: Date.now() + ttlMs }));
  }

  async deregister(nodeId: string): Promise<void> {
    await this.#write(EPHEMERAL, () => this.#db.nodes.removeSync(nodeId));
  }

  async list(): Promise<RegisteredNode[]> {
    const now = Date.now();
    const out: RegisteredNode[] = [];
    for (const { key, value } of this.#fresh().nodes.getRange({})) {
      if (value.exp > now) out.push({ nodeId: key, info: value.info, expiresAt: value.exp });
    }
    return out;
  }

  async ping(): Promise<void> {
    // A read proves the environment is mapped; a write would prove the writer lock is
    // free, which is what a wedged peer process takes away.
    this.#db.root.get('__ping__');
    await this.#write(EPHEMERAL, () => undefined);
  }

  /** Gives up this store's share of the environment; the last store to close closes it. */
  async close(): Promise<void> {
    await this.#lease.release();
  }

  translateError(err: unknown): Error {
    if (isMiniscaleError(err)) return err;
    const message = err instanceof Error ? err.message : String(err);
    // MDB_MAP_FULL, ENOSPC, EIO: the disk or the map cannot take more; retrying later may work.
    if (/MDB_MAP_FULL|ENOSPC|EIO|EACCES|closed/i.test(message)) {
      return new StoreUnavailableError(`embedded store: ${message}`, { cause: err });
    }
    return new InternalError(`embedded store: ${message}`, { cause: err });
  }

  /**
   * The dbs, on a fresh read snapshot. lmdb-js renews its read transaction only on the
   * next macrotask (setTimeout 0), so a read right after another process's commit —
   * e.g. just after taking a lock that process released — could see the state from
   * before it. The conformance suite's cross-process lock test caught exactly that.
   */
  #fresh(): EmbeddedDbs {
    this.#db.root.resetReadTxn();
    return this.#db;
  }

  /** Flips the directory to store format 2 (embedded-format.ts); a no-op when it is there already. */
  async upgradeFormat(): Promise<UpgradeResult> {
    try {
      return await upgradeFormat(this.#db.root, this.#db.meta, this.#ranks);
    } catch (err) {
      throw this.translateError(await commitCause(err));
    }
  }

  /** The directory's store format, as of now. */
  format(): number {
    return formatOf(this.#fresh().meta);
  }

  /** A kv record in the layout the directory's format says, inside a write transaction. */
  #putKv(key: string, rec: KvRecord, value: JsonValue | null): void {
    const { kv, kvRaw, meta } = this.#db;
    if (formatOf(meta) !== FORMAT_PACKED) kv.putSync(key, rec);
    else kvRaw.putSync(key, rec.j === null ? packTombstone(rec.ver, rec.exp) : packRecord(rec.j, value, rec.ver, rec.exp));
  }

  /** Format 1's rank: the board's index keys before the member, counted. */
  #countRank(board: string, member: string, score: number): number {
    return this.#db.ranking.getKeysCount({ start: [board], end: [board, negate(score), member] }) + 1;
  }

  /**
   * Runs `work` inside one LMDB write transaction (atomic across processes) and
   * resolves after it is committed — and, for DURABLE data when durability is
   * 'flush', after the fsync. `work` must decide before it writes: a throw after a
   * write would not undo that write.
   */
  async #write<T>(kind: WriteKind, work: () => T): Promise<T> {
    let result: T;
    try {
      result = await this.#db.root.transaction(work);
    } catch (err) {
      throw await commitCause(err);
    }
    if (kind === DURABLE && this.#waitForFlush) await this.#db.root.flushed;
    return result;
  }
}

/**
 * lmdb-js rejects every write of a failed commit with a generic "Commit failed" whose
 * real reason (an LMDB error code) arrives separately on `err.commitError`, a promise.
 * Wait briefly for it, so the log says what LMDB said.
 */
async function commitCause(err: unknown): Promise<unknown> {
  const pending = (err as { commitError?: Promise<unknown> } | null)?.commitError;
  if (!(pending instanceof Promise)) return err;
  let timer: NodeJS.Timeout | undefined;
  const cause = await Promise.race([
    pending.then(
      () => undefined,
      (e: unknown) => e,
    ),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), 1_000);
    }),
  ]);
  clearTimeout(timer);
  if (!(cause instanceof Error)) return err;
  return new Error(`commit failed: ${cause.message}`, { cause });
}

function isLive(rec: KvRecord): rec is KvRecord & { j: string } {
  return rec.j !== null && (rec.exp === 0 || rec.exp > Date.now());
}

/** Scores are indexed negated so that ascending key order is highest-first; 0 stays 0 (never -0). */
function negate(score: number): number {
  return score === 0 ? 0 : -score;
}

function conflict(key: string, current: number | null): VersionConflictError {
  const found = current === null ? 'the key is absent' : `its version is ${current}`;
  return new VersionConflictError(`write to ${key} refused: ${found}`, current);
}
