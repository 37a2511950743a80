/**
 * The `redis` and `redis-cluster` drivers: one implementation over ioredis, whose
 * `Redis` and `Cluster` clients share the command API. Multi-step operations are Lua
 * scripts (redis-scripts.ts) registered with `defineCommand`, which sends EVALSHA and
 * falls back to EVAL after a restart or failover wiped the script cache (NOSCRIPT).
 * Key layout: redis-keys.ts; the client and its options: redis-client.ts.
 *
 * Delivery is AT MOST ONCE. ioredis's defaults re-send a command whose connection
 * dropped before the reply came; the command may already have run, so an INCR, a rate
 * limit hit or a compare-and-set would be applied twice and reported once (or a write
 * that succeeded reported as VERSION_CONFLICT). Measured, not assumed: see "delivery is
 * at most once" in test/store/redis.test.ts. Such a call fails with STORE_UNAVAILABLE
 * instead, whose contract is "maybe applied" (hiredis-cluster refuses these retries for
 * the same reason, Nordix/hiredis-cluster#140).
 */
import { Cluster, type NatMap } from 'ioredis';
import { InternalError, isMiniscaleError, StoreUnavailableError, ValidationError, VersionConflictError } from '../../core/errors.js';
import { DEFAULT_OP_TIMEOUT_MS, DEFAULT_WAIT_TIMEOUT_MS, type RedisStoreConfig } from '../config.js';
import { GCRA_EPOCH_US } from '../gcra.js';
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
import { createClient, waitUntilReady, type Client, type DriverName } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { CLUSTER_SLOTS, primaryConnection } from './redis-slot.js';
import { waitForReplicas, type ReplicationWait } from './redis-wait.js';

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
  client.on('error', (err: unknown) => {
    lastError = err;
  });
  try {
    await waitUntilReady(client, connect.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  } catch (err) {
    client.disconnect();
    const why = lastError instanceof Error ? lastError.message : (err as Error).message;
    throw new StoreUnavailableError(`cannot connect to ${config.driver} at ${config.url}: ${why}`, { cause: lastError ?? err });
  }
  const wait = config.waitReplicas
    ? { replicas: config.waitReplicas, timeoutMs: config.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS }
    : undefined;
  return new RedisDriver(client, config.driver, keys, timeoutMs, wait);
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
    const reply = await this.#send(
      (c) => c.msKvSet(this.#keys.kv(key), json, ttl, ifVersion, opts.ifAbsent ? '1' : '0'),
      this.#keys.kv(key),
    );
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
    const reply = await this.#send(
      (c) => c.msHit(this.#keys.rate(key), String(limit), String(windowMs), String(GCRA_EPOCH_US)),
      this.#keys.rate(key),
    );
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
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#timeoutMs);
    });
    const quit = this.#client.quit().then(
      () => true,
      () => false,
    );
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
  await Promise.all(
    [...owners].map(async (owner) => {
      const node = connected.get(owner);
      if (!node) throw new StoreUnavailableError(`redis-cluster store: primary ${owner} is not connected`);
      await node.ping();
    }),
  );
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
const UNAVAILABLE_CLIENT =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|Stream isn't writeable|Command timed out|enableOfflineQueue|Failed to refresh slots|None of startup nodes|Too many Cluster redirections|Cluster is (?:ended|disconnect)/;
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
