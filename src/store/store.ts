/**
 * The one storage interface every other component uses. Nothing outside src/store/
 * talks to LMDB or Redis. Drivers implement `StoreDriver`; callers get a `Store`
 * from `openStore`, which validates arguments once, bounds every call with a timeout
 * and translates backend failures into typed errors (see guarded-store.ts).
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type StoreDriverName = 'embedded' | 'redis' | 'redis-cluster';

/**
 * How long a deleted key remembers its last version (a tombstone), so a key re-created
 * soon after a delete continues above it even when everything happened within one
 * millisecond. Long after, the clock part of the version is far ahead anyway.
 */
export const TOMBSTONE_TTL_MS = 10 * 60_000;

/** A stored value with its version. */
export interface Entry {
  value: JsonValue;
  /**
   * Increases with every write of the key: `max(previous + 1, nowMs)`. A delete leaves
   * a tombstone with the last version for TOMBSTONE_TTL_MS, and a new key starts from
   * the clock, so a version a client still holds from before a delete is not handed
   * out again.
   */
  version: number;
  /** Epoch milliseconds, or null when the entry does not expire. */
  expiresAt: number | null;
}

/**
 * An entry with its value as the JSON text it is stored as: what `get` parses. A
 * caller that only passes the value on (an HTTP answer) skips the parse and the
 * re-serialisation.
 */
export interface JsonEntry {
  /** JSON.stringify of the value, exactly as written. */
  json: string;
  version: number;
  expiresAt: number | null;
}

export interface SetOptions {
  /** Time to live in milliseconds; absent means no expiry (and removes an earlier TTL). */
  ttlMs?: number;
  /** Compare-and-set: write only if the current version equals this. */
  ifVersion?: number;
  /** Create only: write only if the key is absent (or expired). */
  ifAbsent?: boolean;
}

export interface DeleteOptions {
  /** Delete only if the current version equals this. */
  ifVersion?: number;
}

export type ScoreMode = 'best' | 'set';

export interface ScoreEntry {
  member: string;
  score: number;
  /** 1-based, highest score first; equal scores ordered by member, byte-wise ascending. */
  rank: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Requests still allowed right now after this one. */
  remaining: number;
  /** When refused: milliseconds until one more request would be allowed; else 0. */
  retryAfterMs: number;
}

export interface Lock {
  name: string;
  owner: string;
  /**
   * Fencing token: strictly increases each time the lock changes hands, so a
   * resource can refuse a write from an owner whose lock has since expired.
   */
  token: number;
  expiresAt: number;
}

export interface RegisteredNode {
  nodeId: string;
  info: JsonObject;
  expiresAt: number;
}

/** What a driver implements. Arguments arrive already validated. */
export interface StoreDriver {
  readonly driver: StoreDriverName;
  /**
   * Reads are lookups in local memory (a memory-mapped file) that cannot wait on
   * anything, so the guard runs them without a timer. Writes are always timed.
   */
  readonly readsAreLocal?: boolean;
  /** The entry with its value as stored JSON text; the guard parses it for `get`. */
  getJson(key: string): Promise<JsonEntry | null>;
  /** `getJson` answered synchronously; only drivers whose reads are local implement it. */
  getJsonNow?(key: string): JsonEntry | null;
  /**
   * The entry with its value decoded, synchronously; a driver that stores values in a
   * form faster to decode than JSON text implements it, and the guard's `get` uses it
   * instead of parsing `getJson`'s text.
   */
  getNow?(key: string): Entry | null;
  set(key: string, value: JsonValue, json: string, opts: SetOptions): Promise<Entry>;
  delete(key: string, opts: DeleteOptions): Promise<boolean>;
  incr(key: string, by: number): Promise<number>;
  counter(key: string): Promise<number>;
  zset(board: string, member: string, score: number, mode: ScoreMode): Promise<ScoreEntry>;
  zscore(board: string, member: string): Promise<number | null>;
  zrank(board: string, member: string): Promise<number | null>;
  ztop(board: string, n: number): Promise<ScoreEntry[]>;
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  acquire(name: string, owner: string, ttlMs: number): Promise<Lock | null>;
  release(lock: Lock): Promise<boolean>;
  register(nodeId: string, info: JsonObject, ttlMs: number): Promise<void>;
  deregister(nodeId: string): Promise<void>;
  list(): Promise<RegisteredNode[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Turns a backend failure into a typed error; the one place that knows backend errors. */
  translateError(err: unknown): Error;
}

/** What callers use. */
export interface Store {
  readonly driver: StoreDriverName;
  /** The value and version, or null when absent or expired. */
  get(key: string): Promise<Entry | null>;
  /** The same as `get`, with the value as the JSON text it is stored as (not parsed). */
  getJson(key: string): Promise<JsonEntry | null>;
  /**
   * `getJson` answered at once when the driver's reads are local memory lookups
   * (embedded): no promise and no microtask for the hottest reads (a session, an entry).
   * `undefined` when the driver must be awaited (Redis): call `getJson` instead. Throws
   * what `getJson` would reject with.
   */
  getJsonNow(key: string): JsonEntry | null | undefined;
  /** Throws VersionConflictError when `ifVersion` or `ifAbsent` does not hold. */
  set(key: string, value: JsonValue, opts?: SetOptions): Promise<Entry>;
  /** True when something was deleted. Throws VersionConflictError when `ifVersion` does not hold. */
  delete(key: string, opts?: DeleteOptions): Promise<boolean>;
  /** Atomically adds `by` (a safe integer, default 1) and returns the new value. */
  incr(key: string, by?: number): Promise<number>;
  /** A counter's value, 0 when never touched. */
  counter(key: string): Promise<number>;
  /** Records a score (`best` keeps the higher of old and new) and returns the member's standing. */
  zset(board: string, member: string, score: number, opts?: { mode?: ScoreMode }): Promise<ScoreEntry>;
  zscore(board: string, member: string): Promise<number | null>;
  /** 1-based rank, or null when the member has no score. */
  zrank(board: string, member: string): Promise<number | null>;
  /** The first `n` entries, highest score first. */
  ztop(board: string, n: number): Promise<ScoreEntry[]>;
  /**
   * Counts one request against `limit` per `windowMs` (GCRA: a burst of `limit`, then
   * one every `windowMs / limit`). Exact across processes: the check and the update
   * are one atomic step in the backend.
   */
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  /** Takes the lock, or extends it when `owner` already holds it; null when another owner does. */
  acquire(name: string, owner: string, ttlMs: number): Promise<Lock | null>;
  /** Releases only if this owner and token still hold it; false otherwise. */
  release(lock: Lock): Promise<boolean>;
  /** Adds or refreshes (heartbeat) a node; it disappears from `list` after `ttlMs` without one. */
  register(nodeId: string, info: JsonObject, ttlMs: number): Promise<void>;
  deregister(nodeId: string): Promise<void>;
  /** Live nodes, ordered by nodeId. */
  list(): Promise<RegisteredNode[]>;
  /** Resolves when the backend answers; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
