/**
 * Wraps a driver into the public `Store`: validates every argument once (so all
 * drivers refuse the same inputs), bounds every call with a timeout (so a dead or
 * wedged backend never hangs a request) and passes every failure through the
 * driver's single `translateError`.
 */
import { isMiniscaleError, StoreUnavailableError, ValidationError } from '../core/errors.js';
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
  Store,
  StoreDriver,
  StoreDriverName,
} from './store.js';
import {
  checkFinite,
  checkJsonObject,
  checkName,
  checkPositiveInt,
  checkSafeInt,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_MAX_VALUE_DEPTH,
  encodeJson,
  MAX_TOP_N,
} from './validation.js';
import { DEFAULT_OP_TIMEOUT_MS, type GuardOptions } from './config.js';

export class GuardedStore implements Store {
  readonly driver: StoreDriverName;
  readonly #inner: StoreDriver;
  readonly #timeoutMs: number;
  readonly #maxValueBytes: number;
  readonly #maxValueDepth: number;
  #closed = false;

  constructor(inner: StoreDriver, opts: GuardOptions = {}) {
    this.#inner = inner;
    this.driver = inner.driver;
    this.#timeoutMs = opts.opTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS;
    this.#maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.#maxValueDepth = opts.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH;
  }

  async get(key: string): Promise<Entry | null> {
    const inner = this.#inner;
    if (inner.getNow !== undefined) return this.#read('get', async () => inner.getNow!(checkName('key', key)));
    const entry = await this.getJson(key);
    return entry && { value: JSON.parse(entry.json) as JsonValue, version: entry.version, expiresAt: entry.expiresAt };
  }

  getJson(key: string): Promise<JsonEntry | null> {
    return this.#read('get', () => this.#inner.getJson(checkName('key', key)));
  }

  getJsonNow(key: string): JsonEntry | null | undefined {
    const inner = this.#inner;
    if (inner.getJsonNow === undefined) return undefined;
    if (this.#closed) throw new StoreUnavailableError('store is closed (get)');
    try {
      return inner.getJsonNow(checkName('key', key));
    } catch (err) {
      throw isMiniscaleError(err) ? err : inner.translateError(err);
    }
  }

  set(key: string, value: JsonValue, opts: SetOptions = {}): Promise<Entry> {
    return this.#run('set', () => {
      checkName('key', key);
      const json = encodeJson(value, this.#maxValueBytes, this.#maxValueDepth);
      if (opts.ttlMs !== undefined) checkPositiveInt('ttlMs', opts.ttlMs);
      if (opts.ifVersion !== undefined) checkPositiveInt('ifVersion', opts.ifVersion);
      if (opts.ifAbsent && opts.ifVersion !== undefined) {
        throw new ValidationError('ifAbsent and ifVersion cannot be combined');
      }
      // Stored and returned values are the JSON round trip, so every driver returns the same thing.
      return this.#inner.set(key, JSON.parse(json) as JsonValue, json, opts);
    });
  }

  delete(key: string, opts: DeleteOptions = {}): Promise<boolean> {
    return this.#run('delete', () => {
      if (opts.ifVersion !== undefined) checkPositiveInt('ifVersion', opts.ifVersion);
      return this.#inner.delete(checkName('key', key), opts);
    });
  }

  incr(key: string, by = 1): Promise<number> {
    return this.#run('incr', () => this.#inner.incr(checkName('key', key), checkSafeInt('by', by)));
  }

  counter(key: string): Promise<number> {
    return this.#read('counter', () => this.#inner.counter(checkName('key', key)));
  }

  zset(board: string, member: string, score: number, opts: { mode?: ScoreMode } = {}): Promise<ScoreEntry> {
    return this.#run('zset', () => {
      const mode = opts.mode ?? 'best';
      if (mode !== 'best' && mode !== 'set') throw new ValidationError("mode must be 'best' or 'set'");
      // -0 and 0 must rank identically in every driver.
      const s = checkFinite('score', score) === 0 ? 0 : score;
      return this.#inner.zset(checkName('board', board), checkName('member', member), s, mode);
    });
  }

  zscore(board: string, member: string): Promise<number | null> {
    return this.#read('zscore', () => this.#inner.zscore(checkName('board', board), checkName('member', member)));
  }

  zrank(board: string, member: string): Promise<number | null> {
    return this.#read('zrank', () => this.#inner.zrank(checkName('board', board), checkName('member', member)));
  }

  ztop(board: string, n: number): Promise<ScoreEntry[]> {
    return this.#read('ztop', () => {
      if (checkPositiveInt('n', n) > MAX_TOP_N) throw new ValidationError(`n must be at most ${MAX_TOP_N}`);
      return this.#inner.ztop(checkName('board', board), n);
    });
  }

  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    return this.#run('hit', () =>
      this.#inner.hit(checkName('key', key), checkPositiveInt('limit', limit), checkPositiveInt('windowMs', windowMs)),
    );
  }

  acquire(name: string, owner: string, ttlMs: number): Promise<Lock | null> {
    return this.#run('acquire', () =>
      this.#inner.acquire(checkName('lock name', name), checkName('owner', owner), checkPositiveInt('ttlMs', ttlMs)),
    );
  }

  release(lock: Lock): Promise<boolean> {
    return this.#run('release', () => {
      checkName('lock name', lock.name);
      checkName('owner', lock.owner);
      checkPositiveInt('token', lock.token);
      return this.#inner.release(lock);
    });
  }

  register(nodeId: string, info: JsonObject, ttlMs: number): Promise<void> {
    return this.#run('register', () =>
      this.#inner.register(checkName('nodeId', nodeId), checkJsonObject('info', info, 64 * 1024), checkPositiveInt('ttlMs', ttlMs)),
    );
  }

  deregister(nodeId: string): Promise<void> {
    return this.#run('deregister', () => this.#inner.deregister(checkName('nodeId', nodeId)));
  }

  list(): Promise<RegisteredNode[]> {
    return this.#read('list', () => this.#inner.list());
  }

  ping(): Promise<void> {
    return this.#run('ping', () => this.#inner.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#inner.close();
  }

  /**
   * A read. On a driver whose reads are local memory lookups it skips the timer: a
   * timer per call cost about a quarter of an embedded read (bench/store profile) and
   * guards against a wait that cannot happen there.
   */
  async #read<T>(op: string, call: () => Promise<T>): Promise<T> {
    if (!this.#inner.readsAreLocal) return this.#run(op, call);
    if (this.#closed) throw new StoreUnavailableError(`store is closed (${op})`);
    try {
      return await call();
    } catch (err) {
      throw isMiniscaleError(err) ? err : this.#inner.translateError(err);
    }
  }

  async #run<T>(op: string, call: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError(`store is closed (${op})`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`${this.driver} store did not answer ${op} within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    const work = Promise.resolve().then(call);
    // The backend may still settle after the timeout fired; that late answer is dropped on purpose.
    work.catch(() => {});
    try {
      return await Promise.race([work, timeout]);
    } catch (err) {
      throw isMiniscaleError(err) ? err : this.#inner.translateError(err);
    } finally {
      clearTimeout(timer);
    }
  }
}
