/**
 * How the Redis drivers connect: the ioredis client for one server or for a cluster,
 * its options (each one a decision about delivery, queueing or failover), and the wait
 * for the first connection. Delivery is at most once; redis.ts says why.
 */
import { Cluster, Redis, type ClusterOptions, type NatMap, type RedisOptions } from 'ioredis';
import { ConfigError } from '../../core/errors.js';
import type { RedisStoreConfig } from '../config.js';
import { SCRIPTS } from './redis-scripts.js';

type Reply = Array<string | number | null>;

/** The scripts as methods, as `defineCommand` adds them to the client. */
export interface ScriptCommands {
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

/** A `Redis` or `Cluster` client with the scripts defined on it. */
export type Client = (Redis | Cluster) & ScriptCommands;
export type DriverName = RedisStoreConfig['driver'];

export function createClient(config: RedisStoreConfig, timeoutMs: number, natMap: NatMap | undefined): Client {
  const seeds = parseUrls(config.url, config.driver);
  const client =
    config.driver === 'redis-cluster'
      ? new Cluster(
          seeds.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
          { ...clusterOptions(timeoutMs, seeds[0]!), natMap },
        )
      : new Redis(config.url, redisOptions(timeoutMs));
  for (const [name, def] of Object.entries(SCRIPTS)) client.defineCommand(name, def);
  return client as Client;
}

function parseUrls(url: string, driver: DriverName): URL[] {
  const parts = url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0 || (driver === 'redis' && parts.length > 1)) {
    throw new ConfigError(`${driver} store: expected ${driver === 'redis' ? 'one URL' : 'comma-separated seed URLs'}, got "${url}"`);
  }
  return parts.map((part) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(part);
    } catch {
      /* reported below */
    }
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
    // At most once (see redis.ts): 0 retries fails the commands in flight on
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

export async function waitUntilReady(client: Client, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`not ready after ${timeoutMs} ms (status: ${client.status})`)), timeoutMs);
    const onReady = (): void => done();
    function done(err?: Error): void {
      clearTimeout(timer);
      client.off('ready', onReady);
      if (err) reject(err);
      else resolve();
    }
    client.on('ready', onReady);
  });
}
