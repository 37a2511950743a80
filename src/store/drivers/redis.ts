/**
 * The `redis` and `redis-cluster` drivers: one implementation over ioredis, whose
 * `Redis` and `Cluster` clients share the command API. Multi-step operations are Lua
 * scripts (redis-scripts.ts) registered with `defineCommand`, which sends EVALSHA and
 * falls back to EVAL after a restart or failover wiped the script cache (NOSCRIPT).
 * Key layout: redis-keys.ts.
 *
 * Delivery is AT MOST ONCE. ioredis's defaults re-send a command whose connection
 * dropped before the reply came; the command may already have run, so an INCR, a rate
 * limit hit or a compare-and-set would be applied twice and reported once (or a write
 * that succeeded reported as VERSION_CONFLICT). Measured, not assumed: see "delivery is
 * at most once" in test/store/redis.test.ts. Such a call fails with STORE_UNAVAILABLE
 * instead, whose contract is "maybe applied" (hiredis-cluster refuses these retries for
 * the same reason, Nordix/hiredis-cluster#140).
 */
import { Cluster, Redis, type ClusterOptions, type NatMap, type RedisOptions } from 'ioredis';
import {
  ConfigError, InternalError, StoreUnavailableError, ValidationError, VersionConflictError, isMiniscaleError,
} from '../../errors.js';
import { DEFAULT_OP_TIMEOUT_MS, DEFAULT_WAIT_TIMEOUT_MS, type RedisStoreConfig } from '../config.js';
import { GCRA_EPOCH_US } from '../gcra.js';
import type {
  DeleteOptions, Entry, JsonEntry, JsonObject, JsonValue, Lock, RateLimitResult, RegisteredNode,
  ScoreEntry, ScoreMode, SetOptions, StoreDriver,
} from '../store.js';
import { TOMBSTONE_TTL_MS } from '../store.js';
import { RedisKeys } from './redis-keys.js';
import { SCRIPTS } from './redis-scripts.js';
import { CLUSTER_SLOTS, primaryConnection } from './redis-slot.js';
import { waitForReplicas, type ReplicationWait } from './redis-wait.js';

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
type DriverName = RedisStoreConfig['driver'];

/** How long start-up waits for the first connection (Redis may be starting too). */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
/** ioredis's message when `commandTimeout` passes (Command.js). */
const COMMAND_TIMED_OUT = 'Command timed out';
/** A failure triggers a slot map refresh at most this often (see #refreshSlotsSoon). */
const SLOT_REFRESH_MIN_INTERVAL_MS = 500;

export interface RedisConnectOptions {
  /** How long to wait for the first connection. @default 10_000 */
  readyTimeoutMs?: number;
  /**
   * Cluster only: the address to use for each node address the cluster announces
   * (`'10.0.0.5:7000' → {host, port}`), for a cluster reached through NAT or a proxy.
   */
  natMap?: NatMap;
}

export async function openRedisDriver(config: RedisStoreConfig, connect: RedisConnectOptions = {}): Promise<RedisDriver> {
  const timeoutMs = config.opTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS;
  const keys = new RedisKeys(config.prefix);
  const client = createClient(config, timeoutMs, connect.natMap);
  // Failures reach callers through their commands; this listener keeps ioredis from
  // printing every reconnect error, and remembers the last one for the start-up message.
  let lastError: unknown;
  client.on('error', (err: unknown) => { lastError = err; });
  try {
    await waitUntilReady(client, connect.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  } catch (err) {
    client.disconnect();
    const why = lastError instanceof Error ? lastError.message : (err as Error).message;
    throw new StoreUnavailableError(`cannot connect to ${config.driver} at ${config.url}: ${why}`, { cause: lastError ?? err });
  }
  const wait = config.waitReplicas ? { replicas: config.waitReplicas, timeoutMs: config.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS } : undefined;
  return new RedisDriver(client, config.driver, keys, timeoutMs, wait);
}

function createClient(config: RedisStoreConfig, timeoutMs: number, natMap: NatMap | undefined): Client {
  const seeds = parseUrls(config.url, config.driver);
  const client = config.driver === 'redis-cluster'
    ? new Cluster(
      seeds.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
      { ...clusterOptions(timeoutMs, seeds[0]!), natMap },
    )
    : new Redis(config.url, redisOptions(timeoutMs));
  for (const [name, def] of Object.entries(SCRIPTS)) client.defineCommand(name, def);
  return client as Client;
}

function parseUrls(url: string, driver: DriverName): URL[] {
  const parts = url.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0 || (driver === 'redis' && parts.length > 1)) {
    throw new ConfigError(`${driver} store: expected ${driver === 'redis' ? 'one URL' : 'comma-separated seed URLs'}, got "${url}"`);
  }
  return parts.map((part) => {
    let parsed: URL | undefined;
    try { parsed = new URL(part); } catch { /* reported below */ }
    if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
      throw new ConfigError(`${driver} store: "${part}" is not a redis:// or rediss:// URL`);
    }
    return parsed;
  });
}

/** What every connection gets, to one server or to one cluster node. */
function connectionOptions(timeoutMs: number): RedisOptions {
  return {
    // Every command carries its own deadline, the store's per-call timeout: the guard
    // already answers the caller then, and this also removes the command from ioredis.
    commandTimeout: timeoutMs,
    // A connect attempt waits no longer than a call would; commands queued behind it
    // (cluster nodes only) are then failed, never sent long after their caller gave up.
    connectTimeout: timeoutMs,
    // At most once (see the file comment): 0 retries fails the commands in flight on
    // the first disconnect, and nothing is re-sent after a reconnect.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  };
}

/** One server. */
function redisOptions(timeoutMs: number): RedisOptions {
  return {
    ...connectionOptions(timeoutMs),
    // Commands issued in the same tick share one write: many concurrent requests, few
    // syscalls. Safe on one server (not on a cluster, see clusterOptions).
    enableAutoPipelining: true,
    // While disconnected, fail at once rather than queue: a queued command would run
    // after its caller got STORE_UNAVAILABLE, and an outage would pile commands up in
    // memory without bound.
    enableOfflineQueue: false,
    // Reconnect forever with a back-off capped at 1 s: the store recovers by itself.
    retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1_000),
  };
}

/**
 * A Redis Cluster. A failover, as ioredis sees it:
 * the dead primary's connection closes; other nodes answer MOVED to it (or CLUSTERDOWN)
 * until, after cluster-node-timeout, its replica is promoted; then MOVED points to the
 * new primary and ioredis refreshes its slot map. Retries are allowed only for replies
 * that prove the command did NOT run.
 */
function clusterOptions(timeoutMs: number, seed: URL): ClusterOptions {
  return {
    // Replicas lag (replication is asynchronous): a read there could miss an
    // acknowledged write, and a compare-and-set built on it would conflict. Primaries only.
    scaleReads: 'master',
    // Off: ioredis groups auto-pipelines per node and handles MOVED per pipeline, so after
    // a slot moves its commands keep failing (ioredis #1692, #2075; scripts sent as
    // EVALSHA can also be grouped by the wrong argument, #2109).
    enableAutoPipelining: false,
    // MOVED/ASK: follow at once. TRYAGAIN (a slot mid-migration) and CLUSTERDOWN (no
    // owner for a slot while a replica is being promoted): the command was refused, so
    // retrying is safe; CLUSTERDOWN also refreshes the slot map first. A retry can
    // outlive its caller's timeout, bounded by maxRedirections × delay (≈ 5 s).
    retryDelayOnMoved: 0,
    retryDelayOnTryAgain: 100,
    retryDelayOnClusterDown: 300,
    maxRedirections: 16,
    // 0 = never re-send a command whose connection closed: it may have run (at most once).
    retryDelayOnFailover: 0,
    // Kept on, but only for ioredis's own use: a command for a node whose connection is
    // still opening waits in that node's queue (bounded by connectTimeout). Calls while
    // the whole cluster is unreachable are refused by the driver (RedisDriver.#send).
    enableOfflineQueue: true,
    // A refresh asks one node for CLUSTER SLOTS; a hung node must not stall it for long.
    slotsRefreshTimeout: Math.min(timeoutMs, 2_000),
    // Lost every node: reconnect through the seeds forever, back-off capped at 2 s.
    clusterRetryStrategy: (times: number) => Math.min(100 * 2 ** times, 2_000),
    redisOptions: {
      ...connectionOptions(timeoutMs),
      username: decodeURIComponent(seed.username) || undefined,
      password: decodeURIComponent(seed.password) || undefined,
      tls: seed.protocol === 'rediss:' ? {} : undefined,
    },
  };
}

async function waitUntilReady(client: Client, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`not ready after ${timeoutMs} ms (status: ${client.status})`)), timeoutMs);
    const onReady = (): void => done();
    function done(err?: Error): void {
      clearTimeout(timer);
      client.off('ready', onReady);
      if (err) reject(err); else resolve();
    }
    client.on('ready', onReady);
  });
}

export class RedisDriver implements StoreDriver {
  readonly driver: DriverName;
  readonly #client: Client;
  readonly #keys: RedisKeys;
  readonly #timeoutMs: number;
  readonly #wait: ReplicationWait | undefined;
  #lastSlotRefresh = 0;
  #closed = false;

  constructor(client: Client, driver: DriverName, keys: RedisKeys, timeoutMs: number, wait?: ReplicationWait) {
    this.#client = client;
    this.#wait = wait;
    this.driver = driver;
    this.#keys = keys;
    this.#timeoutMs = timeoutMs;
  }

  async getJson(key: string): Promise<JsonEntry | null> {
    const [json, ver, exp] = await this.#send((c) => c.hmget(this.#keys.kv(key), 'v', 'ver', 'e'));
    // No `v`: absent, or a tombstone that only remembers the last version.
    if (json === null || json === undefined || !ver) return null;
    return { json, version: Number(ver), expiresAt: Number(exp) || null };
  }

  async set(key: string, value: JsonValue, json: string, opts: SetOptions): Promise<Entry> {
    const ttl = opts.ttlMs === undefined ? '' : String(opts.ttlMs);
    const ifVersion = opts.ifVersion === undefined ? '' : String(opts.ifVersion);
    const reply = await this.#send((c) => c.msKvSet(this.#keys.kv(key), json, ttl, ifVersion, opts.ifAbsent ? '1' : '0'), this.#keys.kv(key));
    if (Number(reply[0]) === 0) throw conflict(key, reply[1]);
    await this.#replicated(this.#keys.kv(key));
    return { value, version: Number(reply[1]), expiresAt: Number(reply[2]) || null };
  }

  async delete(key: string, opts: DeleteOptions): Promise<boolean> {
    const ifVersion = opts.ifVersion === undefined ? '' : String(opts.ifVersion);
    const reply = await this.#send((c) => c.msKvDelete(this.#keys.kv(key), ifVersion, String(TOMBSTONE_TTL_MS)), this.#keys.kv(key));
    if (Array.isArray(reply)) throw conflict(key, reply[1]);
    await this.#replicated(this.#keys.kv(key));
    return reply === 1;
  }

  async incr(key: string, by: number): Promise<number> {
    const reply = await this.#send((c) => c.msIncr(this.#keys.counter(key), String(by)), this.#keys.counter(key));
    if (Number(reply[0]) === 0) throw new ValidationError(`counter ${key} would leave the range ±(2^53-1)`);
    await this.#replicated(this.#keys.counter(key));
    return Number(reply[1]);
  }

  async counter(key: string): Promise<number> {
    return Number(await this.#send((c) => c.get(this.#keys.counter(key)))) || 0;
  }

  async zset(board: string, member: string, score: number, mode: ScoreMode): Promise<ScoreEntry> {
    const reply = await this.#send((c) => c.msZset(this.#keys.board(board), member, String(score), mode), this.#keys.board(board));
    await this.#replicated(this.#keys.board(board));
    return { member, score: positiveZero(Number(reply[0])), rank: Number(reply[1]) };
  }

  async zscore(board: string, member: string): Promise<number | null> {
    const negated = await this.#send((c) => c.zscore(this.#keys.board(board), member));
    return negated === null ? null : positiveZero(-Number(negated));
  }

  async zrank(board: string, member: string): Promise<number | null> {
    const rank = await this.#send((c) => c.zrank(this.#keys.board(board), member));
    return rank === null ? null : rank + 1;
  }

  async ztop(board: string, n: number): Promise<ScoreEntry[]> {
    const flat = await this.#send((c) => c.zrange(this.#keys.board(board), 0, n - 1, 'WITHSCORES'));
    const out: ScoreEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      out.push({ member: flat[i]!, score: positiveZero(-Number(flat[i + 1])), rank: i / 2 + 1 });
    }
    return out;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const reply = await this.#send((c) => c.msHit(this.#keys.rate(key), String(limit), String(windowMs), String(GCRA_EPOCH_US)), this.#keys.rate(key));
    return { allowed: Number(reply[0]) === 1, remaining: Number(reply[1]), retryAfterMs: Number(reply[2]) };
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lock | null> {
    const [lock, fence] = this.#keys.lock(name);
    const reply = await this.#send((c) => c.msLockAcquire(lock, fence, owner, String(ttlMs)), lock);
    if (Number(reply[0]) === 0) return null;
    return { name, owner, token: Number(reply[0]), expiresAt: Number(reply[1]) };
  }

  async release(lock: Lock): Promise<boolean> {
    const [key] = this.#keys.lock(lock.name);
    return (await this.#send((c) => c.msLockRelease(key, lock.owner, String(lock.token)), key)) === 1;
  }

  async register(nodeId: string, info: JsonObject, ttlMs: number): Promise<void> {
    await this.#send((c) => c.msRegister(...this.#keys.registry(), nodeId, JSON.stringify(info), String(ttlMs)), this.#keys.registry()[0]);
  }

  async deregister(nodeId: string): Promise<void> {
    await this.#send((c) => c.msDeregister(...this.#keys.registry(), nodeId), this.#keys.registry()[0]);
  }

  async list(): Promise<RegisteredNode[]> {
    const flat = await this.#send((c) => c.msList(...this.#keys.registry()));
    const out: RegisteredNode[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      out.push({ nodeId: flat[i]!, expiresAt: Number(flat[i + 1]), info: JSON.parse(flat[i + 2]!) as JsonObject });
    }
    // Names are printable ASCII (validation.ts), so code-unit order is byte order.
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  async ping(): Promise<void> {
    await this.#send(async (c) => {
      if (c instanceof Cluster) await pingPrimaries(c);
      else await c.ping();
    });
  }

  /**
   * QUIT lets the server answer what is in flight, but a hung server never answers it,
   * so it is bounded; past that, disconnect() drops the sockets and reconnect timers.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), this.#timeoutMs); });
    const quit = this.#client.quit().then(() => true, () => false);
    const clean = await Promise.race([quit, deadline]);
    clearTimeout(timer);
    if (!clean) this.#client.disconnect();
  }

  /** The one place that knows ioredis's and Redis's failures. */
  translateError(err: unknown): Error {
    if (isMiniscaleError(err)) return err;
    const message = err instanceof Error ? err.message : String(err);
    const Typed = isUnavailable(err) ? StoreUnavailableError : InternalError;
    return new Typed(`${this.driver} store: ${message}`, { cause: err });
  }

  /**
   * Runs one command. Calls are refused at once while the client is not connected: a
   * cluster that lost every node would otherwise queue them in memory with no deadline,
   * piling up during an outage and running long after their callers got an error.
   */
  async #send<T>(command: (client: Client) => Promise<T>, writeKey?: string): Promise<T> {
    const client = this.#client;
    if (client.status !== 'ready') {
      throw new StoreUnavailableError(`${this.driver} store is not connected (${client.status})`);
    }
    try {
      return await command(client);
    } catch (err) {
      if (isUnavailable(err)) this.#refreshSlotsSoon();
      if (writeKey !== undefined && err instanceof Error && err.message === COMMAND_TIMED_OUT) this.#abandonConnection(writeKey);
      throw err;
    }
  }

  /**
   * A write that timed out may still be in the kernel's send queue, unacknowledged by a
   * Redis we cannot reach (a partition). Left alone, TCP retransmits it when the network
   * heals and Redis applies it then — seconds after its caller was told
   * STORE_UNAVAILABLE and may have written a newer value through another node, which
   * this stale write would overwrite (measured: test/faults/late-write.test.ts). So the
   * connection is reset, not closed: SO_LINGER 0 makes the kernel drop what it has not
   * sent. ioredis reconnects by itself; other calls in flight on it fail as unknown,
   * which they are. What Redis had already received is applied now, not later.
   */
  #abandonConnection(writeKey: string): void {
    const client = this.#client;
    const conn = client instanceof Cluster ? primaryConnection(client, writeKey) : client;
    const stream = conn?.stream;
    if (stream && !stream.destroyed) stream.resetAndDestroy();
  }

  /** With `waitReplicas`: the data write just made on `redisKey` is replicated, or this throws. */
  async #replicated(redisKey: string): Promise<void> {
    const wait = this.#wait;
    if (wait) await this.#send((c) => waitForReplicas(c, redisKey, wait));
  }

  /**
   * ioredis refreshes its slot map on MOVED, but a primary that died or hangs answers
   * no MOVED: without this, commands for its slots would keep going to it (and time
   * out) long after its replica took over — forever, for a hung one (measured in
   * test/store/redis-cluster-failover.test.ts). So a timeout or a lost connection asks
   * for a refresh, which also drops nodes that no longer own slots. Throttled, because
   * during an outage every call fails.
   */
  #refreshSlotsSoon(): void {
    const client = this.#client;
    if (!(client instanceof Cluster) || this.#closed) return;
    const now = Date.now();
    if (now - this.#lastSlotRefresh < SLOT_REFRESH_MIN_INTERVAL_MS) return;
    this.#lastSlotRefresh = now;
    client.refreshSlotsCache();
  }
}

/**
 * PING every primary that owns slots in the client's slot map. A primary that died is
 * dropped from ioredis's pool, so pinging only the connected ones would report a healthy
 * cluster while a third of the keys are unreachable.
 */
async function pingPrimaries(cluster: Cluster): Promise<void> {
  const owners = new Set<string>();
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = cluster.slots[slot]?.[0];
    if (!owner) throw new StoreUnavailableError(`redis-cluster store: slot ${slot} has no primary`);
    owners.add(owner);
  }
  const connected = new Map(cluster.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]));
  await Promise.all([...owners].map(async (owner) => {
    const node = connected.get(owner);
    if (!node) throw new StoreUnavailableError(`redis-cluster store: primary ${owner} is not connected`);
    await node.ping();
  }));
}

/**
 * Failures that mean "the backend cannot answer now", as ioredis and Redis word them.
 * ioredis: the connection (refused, reset, closed, not writable while reconnecting), a
 * command past its deadline, retries used up, no slot map, redirections used up.
 * Redis replies: no owner for a slot yet, a slot mid-migration or moved, a dataset still
 * loading, a demoted primary, a busy script, memory or disk full, too few replicas.
 * Anything else (a script error, a reply we cannot parse) is a bug: InternalError.
 */
const UNAVAILABLE_REPLY = /^(?:CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|BUSY|OOM|MISCONF|NOREPLICAS|MOVED \d|ASK \d)/;
const UNAVAILABLE_CLIENT = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|Stream isn't writeable|Command timed out|enableOfflineQueue|Failed to refresh slots|None of startup nodes|Too many Cluster redirections|Cluster is (?:ended|disconnect)/;
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  return UNAVAILABLE_NAMES.has(err.name) || UNAVAILABLE_REPLY.test(err.message) || UNAVAILABLE_CLIENT.test(err.message);
}

/** Scores are stored negated; negating 0 gives -0, which must read back as 0. */
function positiveZero(n: number): number {
  return n === 0 ? 0 : n;
}

function conflict(key: string, current: string | number | null | undefined): VersionConflictError {
  const version = current === null || current === undefined || String(current) === '-1' ? null : Number(current);
  const found = version === null ? 'the key is absent' : `its version is ${version}`;
  return new VersionConflictError(`write to ${key} refused: ${found}`, version);
}
