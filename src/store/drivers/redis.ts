/**
 * The `redis` and `redis-cluster` drivers: one implementation over ioredis, whose
 * `Redis` and `Cluster` clients share the command API. Multi-step operations are Lua
 * scripts (redis-scripts.ts) registered with `defineCommand`, which sends EVALSHA and
 * falls back to EVAL after a restart or failover wiped the script cache (NOSCRIPT).
 *
 * Key layout: prefix + type tag + the caller's key, e.g. `ms:kv:{u:OPENID}:kv:name`.
 * Neither prefix nor type tag contain braces, so the caller's `{…}` hash tag stays the
 * first one in the key and decides the cluster slot.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { InternalError, StoreUnavailableError, ValidationError, VersionConflictError, isMiniscaleError } from '../../errors.js';
import { DEFAULT_OP_TIMEOUT_MS } from '../guarded-store.js';
import { GCRA_EPOCH_US } from '../gcra.js';
import type { RedisStoreConfig } from '../open-store.js';
import type {
  DeleteOptions, Entry, JsonObject, JsonValue, Lock, RateLimitResult, RegisteredNode,
  ScoreEntry, ScoreMode, SetOptions, StoreDriver,
} from '../store.js';
import { TOMBSTONE_TTL_MS } from '../store.js';
import { SCRIPTS } from './redis-scripts.js';

type Reply = Array<string | number | null>;

/** The scripts as methods, as `defineCommand` adds them to the client. */
interface ScriptCommands {
  msKvSet(key: string, json: string, ttlMs: string, ifVersion: string, ifAbsent: string): Promise<Reply>;
  msKvDelete(key: string, ifVersion: string, tombstoneMs: string): Promise<number | Reply>;
  msIncr(key: string, by: string): Promise<Reply>;
  msZset(board: string, member: string, score: string, mode: string): Promise<Reply>;
  msHit(key: string, limit: string, windowMs: string, epochUs: string): Promise<Reply>;
  msLockAcquire(lock: string, fence: string, owner: string, ttlMs: string): Promise<Reply>;
  msLockRelease(lock: string, owner: string, token: string): Promise<number>;
  msRegister(nodes: string, info: string, nodeId: string, infoJson: string, ttlMs: string): Promise<number>;
  msDeregister(nodes: string, info: string, nodeId: string): Promise<number>;
  msList(nodes: string, info: string): Promise<string[]>;
}

type Client = (Redis | Cluster) & ScriptCommands;

/** How long to wait for the first connection before giving up at start-up. */
const CONNECT_TIMEOUT_MS = 10_000;

export async function openRedisDriver(config: RedisStoreConfig): Promise<RedisDriver> {
  const timeoutMs = config.opTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS;
  const client = (config.driver === 'redis-cluster'
    ? new Cluster(seedsOf(config.url), clusterOptions(timeoutMs))
    : new Redis(config.url, redisOptions(timeoutMs))) as Client;
  for (const [name, def] of Object.entries(SCRIPTS)) client.defineCommand(name, def);
  // Errors surface through commands; without a listener ioredis would also print each one.
  client.on('error', () => {});
  try {
    await waitUntilReady(client, CONNECT_TIMEOUT_MS);
  } catch (err) {
    client.disconnect();
    throw new StoreUnavailableError(`cannot connect to ${config.driver} at ${config.url}: ${(err as Error).message}`, { cause: err });
  }
  return new RedisDriver(client, config.driver, config.prefix ?? 'ms:');
}

/**
 * Single server: fail fast while disconnected (`enableOfflineQueue: false`) instead of
 * queueing commands that would run later, after their caller already got an error —
 * a write must not be applied behind a 503. Reconnect forever with a capped back-off.
 */
function redisOptions(timeoutMs: number): RedisOptions {
  return {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.min(timeoutMs, 5_000),
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1_000),
    lazyConnect: false,
  };
}

/**
 * Cluster: during a failover, slots move and a primary disappears for
 * `cluster-node-timeout` plus the election. ioredis re-routes on MOVED/ASK by itself;
 * CLUSTERDOWN and TRYAGAIN are retried after a short delay, and the offline queue is
 * kept so commands issued while the slot map refreshes are sent once it is known. The
 * guard's per-call timeout still bounds every call, so nothing hangs.
 */
function clusterOptions(timeoutMs: number): ClusterOptions {
  return {
    // Off for clusters: ioredis groups auto-pipelines per node and handles MOVED per
    // pipeline, so after a failover commands for a moved slot keep failing with MOVED
    // (ioredis issues #1692, #2075; reproduced by test/store/redis-cluster-failover).
    enableAutoPipelining: false,
    enableOfflineQueue: true,
    scaleReads: 'master',
    maxRedirections: 16,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 100,
    retryDelayOnMoved: 0,
    slotsRefreshTimeout: 2_000,
    clusterRetryStrategy: (times) => Math.min(100 * 2 ** times, 2_000),
    redisOptions: {
      commandTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 5_000),
      maxRetriesPerRequest: 2,
    },
  };
}

function seedsOf(url: string): Array<{ host: string; port: number }> {
  return url.split(',').map((part) => {
    const u = new URL(part.trim());
    return { host: u.hostname, port: Number(u.port || 6379) };
  });
}

async function waitUntilReady(client: Client, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`not ready after ${timeoutMs} ms (last status: ${client.status})`)), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      if (err) reject(err); else resolve();
    };
    const onReady = () => done();
    client.on('ready', onReady);
  });
}

export class RedisDriver implements StoreDriver {
  readonly driver: 'redis' | 'redis-cluster';
  readonly #client: Client;
  readonly #p: string;

  constructor(client: Client, driver: 'redis' | 'redis-cluster', prefix: string) {
    if (prefix.includes('{') || prefix.includes('}')) throw new ValidationError('the key prefix must not contain braces');
    this.#client = client;
    this.driver = driver;
    this.#p = prefix;
  }

  async get(key: string): Promise<Entry | null> {
    const [json, ver, exp] = await this.#client.hmget(this.#kv(key), 'v', 'ver', 'e');
    if (json === null || json === undefined || !ver) return null;
    return { value: JSON.parse(json) as JsonValue, version: Number(ver), expiresAt: Number(exp) || null };
  }

  async set(key: string, value: JsonValue, json: string, opts: SetOptions): Promise<Entry> {
    const reply = await this.#client.msKvSet(this.#kv(key), json, opts.ttlMs ? String(opts.ttlMs) : '',
      opts.ifVersion !== undefined ? String(opts.ifVersion) : '', opts.ifAbsent ? '1' : '0');
    if (Number(reply[0]) === 0) throw conflict(key, reply[1]);
    return { value, version: Number(reply[1]), expiresAt: Number(reply[2]) || null };
  }

  async delete(key: string, opts: DeleteOptions): Promise<boolean> {
    const reply = await this.#client.msKvDelete(this.#kv(key), opts.ifVersion !== undefined ? String(opts.ifVersion) : '', String(TOMBSTONE_TTL_MS));
    if (Array.isArray(reply)) throw conflict(key, reply[1]);
    return reply === 1;
  }

  async incr(key: string, by: number): Promise<number> {
    const reply = await this.#client.msIncr(this.#ctr(key), String(by));
    if (Number(reply[0]) === 0) throw new ValidationError(`counter ${key} would leave the range ±(2^53-1)`);
    return Number(reply[1]);
  }

  async counter(key: string): Promise<number> {
    return Number(await this.#client.get(this.#ctr(key))) || 0;
  }

  async zset(board: string, member: string, score: number, mode: ScoreMode): Promise<ScoreEntry> {
    const reply = await this.#client.msZset(this.#z(board), member, String(score), mode);
    return { member, score: Number(reply[0]) || 0, rank: Number(reply[1]) };
  }

  async zscore(board: string, member: string): Promise<number | null> {
    const negated = await this.#client.zscore(this.#z(board), member);
    return negated === null ? null : -Number(negated) || 0;
  }

  async zrank(board: string, member: string): Promise<number | null> {
    const rank = await this.#client.zrank(this.#z(board), member);
    return rank === null ? null : rank + 1;
  }

  async ztop(board: string, n: number): Promise<ScoreEntry[]> {
    const flat = await this.#client.zrange(this.#z(board), 0, n - 1, 'WITHSCORES');
    const out: ScoreEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      out.push({ member: flat[i]!, score: -Number(flat[i + 1]) || 0, rank: i / 2 + 1 });
    }
    return out;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const reply = await this.#client.msHit(`${this.#p}rl:${key}`, String(limit), String(windowMs), String(GCRA_EPOCH_US));
    return { allowed: Number(reply[0]) === 1, remaining: Number(reply[1]), retryAfterMs: Number(reply[2]) };
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lock | null> {
    const [lock, fence] = this.#lockKeys(name);
    const reply = await this.#client.msLockAcquire(lock, fence, owner, String(ttlMs));
    if (Number(reply[0]) === 0) return null;
    return { name, owner, token: Number(reply[0]), expiresAt: Number(reply[1]) };
  }

  async release(lock: Lock): Promise<boolean> {
    return (await this.#client.msLockRelease(this.#lockKeys(lock.name)[0], lock.owner, String(lock.token))) === 1;
  }

  async register(nodeId: string, info: JsonObject, ttlMs: number): Promise<void> {
    await this.#client.msRegister(...this.#registryKeys(), nodeId, JSON.stringify(info), String(ttlMs));
  }

  async deregister(nodeId: string): Promise<void> {
    await this.#client.msDeregister(...this.#registryKeys(), nodeId);
  }

  async list(): Promise<RegisteredNode[]> {
    const flat = await this.#client.msList(...this.#registryKeys());
    const out: RegisteredNode[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      out.push({ nodeId: flat[i]!, expiresAt: Number(flat[i + 1]), info: JSON.parse(flat[i + 2]!) as JsonObject });
    }
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  async ping(): Promise<void> {
    if (this.#client instanceof Cluster) {
      await Promise.all(this.#client.nodes('master').map((node) => node.ping()));
      if (this.#client.nodes('master').length === 0) throw new StoreUnavailableError('no Redis Cluster primary is known');
    } else {
      await this.#client.ping();
    }
  }

  async close(): Promise<void> {
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  /**
   * The one place that knows ioredis's failures. MOVED/ASK normally never surface (the
   * client follows them); if one does, the slot is moving and the command was not run.
   */
  translateError(err: unknown): Error {
    if (isMiniscaleError(err)) return err;
    const message = err instanceof Error ? err.message : String(err);
    const name = err instanceof Error ? err.name : '';
    if (/ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|Connection is closed|Stream isn't writeable|Command timed out|enableOfflineQueue|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|Failed to refresh slots|None of startup nodes|Too many Cluster redirections|^(MOVED|ASK) \d+/i.test(message)
      || name === 'MaxRetriesPerRequestError' || name === 'ClusterAllFailedError') {
      return new StoreUnavailableError(`${this.driver} store: ${message}`, { cause: err });
    }
    return new InternalError(`${this.driver} store: ${message}`, { cause: err });
  }

  #kv(key: string): string { return `${this.#p}kv:${key}`; }
  #ctr(key: string): string { return `${this.#p}ctr:${key}`; }
  #z(board: string): string { return `${this.#p}z:${board}`; }

  /** Lock and fence share one hash tag built from the name, so one script may touch both. */
  #lockKeys(name: string): [string, string] {
    return [`${this.#p}lock:{${name}}`, `${this.#p}fence:{${name}}`];
  }

  #registryKeys(): [string, string] {
    return [`${this.#p}{registry}:nodes`, `${this.#p}{registry}:info`];
  }
}

function conflict(key: string, current: string | number | null | undefined): VersionConflictError {
  const version = current === null || current === undefined || String(current) === '-1' ? null : Number(current);
  const found = version === null ? 'the key is absent' : `its version is ${version}`;
  return new VersionConflictError(`write to ${key} refused: ${found}`, version);
}
