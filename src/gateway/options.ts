/**
 * Everything the gateway can be told, grouped by concern as Envoy groups a cluster's
 * settings (listener, load balancing, health checks, outlier detection, retry policy,
 * timeouts, limits, connection pool), with each group's defaults beside it in
 * `DEFAULTS`. `resolveOptions` checks and defaults every setting once, at start-up: a
 * bad value is a ConfigError (exit 2 from the CLI) naming the flag or option and what
 * it accepts, so a typo never becomes a gateway that half-works. Callers (the CLI, `up`)
 * map their flags onto this shape and leave checks and defaults to it.
 */
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { StoreConfig } from '../store/config.js';
import { DEFAULT_PORT } from '../core/public-port.js';
import type { DiscoverySource } from './discovery/source.js';
import {
  checkCidr,
  checkHashKey,
  checkHost,
  checkPath,
  checkUpstreamUrl,
  int,
  latencyFactor,
  num,
  upstreamId,
  type HashKey,
} from './option-checks.js';
import type { ClusterLink } from './types.js';

export { checkUpstreamUrl, parseHashKey, upstreamId, type HashKey } from './option-checks.js';

export const ALGORITHMS = ['p2c-ewma', 'round-robin', 'least-conn', 'hash'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export interface ListenOptions {
  /** @default '0.0.0.0' */
  host?: string;
  /** 0 picks a free port. @default 8080 */
  port?: number;
}

export interface DiscoveryOptions {
  /** Discover upstreams from this store's node registry, polled every `intervalMs`. */
  store?: StoreConfig;
  /** @default 1_000 */
  intervalMs?: number;
  /** Another source of upstreams (`up --gateway`'s node supervisor). */
  source?: DiscoverySource;
}

export interface BalancingOptions {
  /** @default 'p2c-ewma' */
  algorithm?: Algorithm;
  /** What the `hash` algorithm hashes. @default { kind: 'ip' } */
  hashKey?: HashKey;
  /** Bounded-load factor c of `hash`. @default 1.25 */
  hashBalance?: number;
  /** @default 5_000 */
  ewmaDecayMs?: number;
  /** @default 250 */
  failurePenaltyMs?: number;
  /** Ramp-up window of a new or returning upstream. @default 10_000 */
  slowStartMs?: number;
  /** @default 0.1 */
  slowStartMinWeight?: number;
}

export interface HealthCheckOptions {
  /** @default '/readyz' */
  path?: string;
  /** 0 = no active checks. @default 2_000 */
  intervalMs?: number;
  /** @default 1_000 */
  timeoutMs?: number;
  /** @default 2 */
  healthyThreshold?: number;
  /** @default 2 */
  unhealthyThreshold?: number;
}

export interface OutlierDetectionOptions {
  /** Consecutive failures that eject an upstream. @default 5 */
  ejectAfterFailures?: number;
  /** @default 5_000 */
  ejectionBaseMs?: number;
  /** @default 60_000 */
  ejectionMaxMs?: number;
  /** Eject an upstream slower than this × its peers' median latency; 0 = off. @default 3 */
  latencyEjectionFactor?: number;
  /** @default 50 */
  latencyEjectionExcessMs?: number;
  /** How often latencies are judged. @default 1_000 */
  intervalMs?: number;
  /** Answers an upstream needs in an interval to be judged. @default 5 */
  minRequests?: number;
}

export interface RetryPolicyOptions {
  /** Attempts per request, the first included. @default 3 */
  maxAttempts?: number;
  /** Retries allowed per request over the window (plus `budgetMin`). @default 0.2 */
  budgetRatio?: number;
  /** @default 3 */
  budgetMin?: number;
  /** @default 10_000 */
  budgetWindowMs?: number;
}

export interface TimeoutOptions {
  /** Per attempt, to response headers. @default 10_000 */
  tryMs?: number;
  /** A whole request, retries included. @default 30_000 */
  totalMs?: number;
  /** @default 2_000 */
  connectMs?: number;
  /** @default 10_000 */
  headersMs?: number;
  /** @default 30_000 */
  requestMs?: number;
  /** @default 10_000 */
  clientIdleMs?: number;
  /** @default 120_000 */
  socketMs?: number;
  /** How long `close()` lets in-flight requests finish. @default 10_000 */
  closeGraceMs?: number;
}

export interface LimitOptions {
  /** @default 16 KiB */
  maxHeaderBytes?: number;
  /** @default 8 KiB */
  maxUrlBytes?: number;
  /** @default 1 MiB */
  maxBodyBytes?: number;
}

export interface PoolOptions {
  /** Connections per upstream. @default 128 */
  connections?: number;
  /** @default 4_000 */
  idleMs?: number;
}

export interface AdminOptions {
  /** Lets non-loopback clients use /_gateway/ with `Authorization: Bearer KEY`. */
  key?: string;
  /**
   * Upstreams (URL, host:port or node id) drained by the admin API before this process
   * started: a restarted worker of a multi-worker gateway takes them over before it
   * listens, so it never sends a drained upstream a request. @default []
   */
  drained?: readonly string[];
}

export interface GatewayOptions {
  listen?: ListenOptions;
  /** `http://host:port` of each upstream, as given (reported as given by the admin API). */
  upstreams?: string[];
  discovery?: DiscoveryOptions;
  balancing?: BalancingOptions;
  healthChecks?: HealthCheckOptions;
  outlierDetection?: OutlierDetectionOptions;
  retryPolicy?: RetryPolicyOptions;
  timeouts?: TimeoutOptions;
  limits?: LimitOptions;
  pool?: PoolOptions;
  /** CIDRs whose X-Forwarded-For is trusted (appended to, not replaced). @default [] */
  trustProxy?: string[];
  admin?: AdminOptions;
  /** One info line per request. @default true */
  accessLog?: boolean;
  logger?: Logger;
  /** Set in each worker of a multi-worker gateway (`--workers`): how admin routes reach the others. */
  cluster?: ClusterLink;
  /**
   * How often the node at an upstream's URL was restarted after a crash, when whoever
   * runs the nodes knows (`up --gateway`'s supervisor): shown by the console.
   */
  restartsOf?(url: string): number | undefined;
}

export interface ResolvedOptions {
  listen: Required<ListenOptions>;
  upstreams: string[];
  discovery: { store?: StoreConfig; intervalMs: number; source?: DiscoverySource };
  balancing: Required<BalancingOptions>;
  healthChecks: Required<HealthCheckOptions>;
  outlierDetection: Required<OutlierDetectionOptions>;
  retryPolicy: Required<RetryPolicyOptions>;
  timeouts: Required<TimeoutOptions>;
  limits: Required<LimitOptions>;
  pool: Required<PoolOptions>;
  trustProxy: string[];
  admin: { key?: string; drained: readonly string[] };
  accessLog: boolean;
}

/** Every group's defaults. */
export const DEFAULTS = {
  listen: { host: '0.0.0.0', port: DEFAULT_PORT },
  discovery: { intervalMs: 1_000 },
  balancing: {
    algorithm: 'p2c-ewma' as Algorithm,
    hashKey: { kind: 'ip' } as HashKey,
    /** No node takes more than c × the mean load. */
    hashBalance: 1.25,
    /**
     * Peak-EWMA decay time constant. Measured on this 2-core machine (docs/gateway.md): a
     * +100 ms node got a median 0.4 % of requests at 10 concurrent, 0.9 % at 40 and 0.5 %
     * at 64 with 5 s — the same as with Finagle's 10 s within the noise; 2.5 s once let it
     * take 7 %. A node nobody picks gets its share back when its estimate has decayed to the
     * others' cost, about 1.6 × this constant after a +100 ms spell (≈ 8 s, against 16 s
     * at 10 s): a node that had one slow moment (a GC pause) is not sidelined for long.
     */
    ewmaDecayMs: 5_000,
    /** A failed attempt counts as at least this slow, so a node failing fast does not look fast. */
    failurePenaltyMs: 250,
    slowStartMs: 10_000,
    /** A returning node starts at this fraction of a full share (Envoy's min_weight_percent is 10 %). */
    slowStartMinWeight: 0.1,
  },
  healthChecks: { path: '/readyz', intervalMs: 2_000, timeoutMs: 1_000, healthyThreshold: 2, unhealthyThreshold: 2 },
  /**
   * Latency-outlier ejection (health/latency-outliers.ts): an upstream whose mean latency
   * over the last second is above 3 × its peers' median and 50 ms above it is ejected.
   * The 50 ms floor keeps millisecond differences on a fast LAN from ejecting anything.
   */
  outlierDetection: {
    ejectAfterFailures: 5,
    ejectionBaseMs: 5_000,
    ejectionMaxMs: 60_000,
    latencyEjectionFactor: 3,
    latencyEjectionExcessMs: 50,
    intervalMs: 1_000,
    minRequests: 5,
  },
  retryPolicy: { maxAttempts: 3, budgetRatio: 0.2, budgetMin: 3, budgetWindowMs: 10_000 },
  timeouts: {
    tryMs: 10_000,
    totalMs: 30_000,
    connectMs: 2_000,
    headersMs: 10_000,
    requestMs: 30_000,
    clientIdleMs: 10_000,
    /** No byte either way on a client socket for this long (a slow reader) closes it. */
    socketMs: 120_000,
    closeGraceMs: 10_000,
  },
  limits: { maxHeaderBytes: 16 * 1024, maxUrlBytes: 8 * 1024, maxBodyBytes: 1024 * 1024 },
  pool: {
    connections: 128,
    /**
     * Idle keep-alive sockets to an upstream are closed after this when the upstream sends
     * no `Keep-Alive: timeout=` hint. Below Node's default server keepAliveTimeout (5 s),
     * so the pool closes an idle socket before the upstream does (the keep-alive race).
     */
    idleMs: 4_000,
  },
} as const;

export function resolveOptions(o: GatewayOptions): ResolvedOptions {
  const upstreams = (o.upstreams ?? []).map((u) => checkUpstreamUrl(u, '--upstream'));
  if (upstreams.length === 0 && !o.discovery?.store && !o.discovery?.source) {
    throw new ConfigError('give at least one --upstream URL, or --discover to find upstreams in the store');
  }
  if (new Set(upstreams.map(upstreamId)).size !== upstreams.length) throw new ConfigError('--upstream: the same host:port is given twice');
  return {
    listen: listen(o.listen ?? {}),
    upstreams,
    discovery: {
      store: o.discovery?.store,
      intervalMs: int('discovery.intervalMs', o.discovery?.intervalMs ?? DEFAULTS.discovery.intervalMs, 50, 60_000),
      source: o.discovery?.source,
    },
    balancing: balancing(o.balancing ?? {}),
    healthChecks: healthChecks(o.healthChecks ?? {}),
    outlierDetection: outlierDetection(o.outlierDetection ?? {}),
    retryPolicy: retryPolicy(o.retryPolicy ?? {}),
    timeouts: timeouts(o.timeouts ?? {}),
    limits: limits(o.limits ?? {}),
    pool: pool(o.pool ?? {}),
    trustProxy: (o.trustProxy ?? []).map(checkCidr),
    admin: { key: o.admin?.key, drained: o.admin?.drained ?? [] },
    accessLog: o.accessLog ?? true,
  };
}

function listen(o: ListenOptions): ResolvedOptions['listen'] {
  const d = DEFAULTS.listen;
  return { host: checkHost(o.host ?? d.host), port: int('--port', o.port ?? d.port, 0, 65535) };
}

function balancing(o: BalancingOptions): ResolvedOptions['balancing'] {
  const d = DEFAULTS.balancing;
  const algorithm = o.algorithm ?? d.algorithm;
  if (!ALGORITHMS.includes(algorithm))
    throw new ConfigError(`--algorithm must be one of ${ALGORITHMS.join(', ')} (got "${String(algorithm)}")`);
  if (o.hashKey && algorithm !== 'hash') throw new ConfigError('--hash-key only applies to --algorithm hash');
  return {
    algorithm,
    hashKey: checkHashKey(o.hashKey ?? d.hashKey),
    hashBalance: num('--hash-balance', o.hashBalance ?? d.hashBalance, 1, 100),
    ewmaDecayMs: int('--ewma-decay', o.ewmaDecayMs ?? d.ewmaDecayMs, 10, 600_000),
    failurePenaltyMs: int('balancing.failurePenaltyMs', o.failurePenaltyMs ?? d.failurePenaltyMs, 0, 60_000),
    slowStartMs: int('--slow-start', o.slowStartMs ?? d.slowStartMs, 0, 3_600_000),
    slowStartMinWeight: num('balancing.slowStartMinWeight', o.slowStartMinWeight ?? d.slowStartMinWeight, 0, 1),
  };
}

function healthChecks(o: HealthCheckOptions): ResolvedOptions['healthChecks'] {
  const d = DEFAULTS.healthChecks;
  return {
    path: checkPath(o.path ?? d.path),
    intervalMs: int('--health-interval', o.intervalMs ?? d.intervalMs, 0, 3_600_000),
    timeoutMs: int('--health-timeout', o.timeoutMs ?? d.timeoutMs, 10, 60_000),
    healthyThreshold: int('healthChecks.healthyThreshold', o.healthyThreshold ?? d.healthyThreshold, 1, 100),
    unhealthyThreshold: int('healthChecks.unhealthyThreshold', o.unhealthyThreshold ?? d.unhealthyThreshold, 1, 100),
  };
}

function outlierDetection(o: OutlierDetectionOptions): ResolvedOptions['outlierDetection'] {
  const d = DEFAULTS.outlierDetection;
  const r = {
    ejectAfterFailures: int('--eject-after', o.ejectAfterFailures ?? d.ejectAfterFailures, 1, 1000),
    ejectionBaseMs: int('outlierDetection.ejectionBaseMs', o.ejectionBaseMs ?? d.ejectionBaseMs, 10, 3_600_000),
    ejectionMaxMs: int('outlierDetection.ejectionMaxMs', o.ejectionMaxMs ?? d.ejectionMaxMs, 10, 3_600_000),
    latencyEjectionFactor: latencyFactor(o.latencyEjectionFactor ?? d.latencyEjectionFactor),
    latencyEjectionExcessMs: int(
      'outlierDetection.latencyEjectionExcessMs',
      o.latencyEjectionExcessMs ?? d.latencyEjectionExcessMs,
      0,
      600_000,
    ),
    intervalMs: int('outlierDetection.intervalMs', o.intervalMs ?? d.intervalMs, 100, 60_000),
    minRequests: int('outlierDetection.minRequests', o.minRequests ?? d.minRequests, 1, 1_000_000),
  };
  if (r.ejectionBaseMs > r.ejectionMaxMs) throw new ConfigError('outlierDetection.ejectionBaseMs must not exceed ejectionMaxMs');
  return r;
}

function retryPolicy(o: RetryPolicyOptions): ResolvedOptions['retryPolicy'] {
  const d = DEFAULTS.retryPolicy;
  return {
    maxAttempts: int('--max-attempts', o.maxAttempts ?? d.maxAttempts, 1, 10),
    budgetRatio: num('--retry-budget', o.budgetRatio ?? d.budgetRatio, 0, 10),
    budgetMin: int('retryPolicy.budgetMin', o.budgetMin ?? d.budgetMin, 0, 1_000_000),
    budgetWindowMs: int('retryPolicy.budgetWindowMs', o.budgetWindowMs ?? d.budgetWindowMs, 100, 3_600_000),
  };
}

function timeouts(o: TimeoutOptions): ResolvedOptions['timeouts'] {
  const d = DEFAULTS.timeouts;
  const r = {
    tryMs: int('--try-timeout', o.tryMs ?? d.tryMs, 1, 3_600_000),
    totalMs: int('--total-timeout', o.totalMs ?? d.totalMs, 1, 3_600_000),
    connectMs: int('timeouts.connectMs', o.connectMs ?? d.connectMs, 1, 600_000),
    headersMs: int('--headers-timeout', o.headersMs ?? d.headersMs, 100, 3_600_000),
    requestMs: int('--request-timeout', o.requestMs ?? d.requestMs, 100, 3_600_000),
    clientIdleMs: int('--idle-timeout', o.clientIdleMs ?? d.clientIdleMs, 100, 3_600_000),
    socketMs: int('timeouts.socketMs', o.socketMs ?? d.socketMs, 0, 3_600_000),
    closeGraceMs: int('timeouts.closeGraceMs', o.closeGraceMs ?? d.closeGraceMs, 0, 600_000),
  };
  if (r.headersMs > r.requestMs) throw new ConfigError('--headers-timeout must not exceed --request-timeout');
  if (r.tryMs > r.totalMs) throw new ConfigError('--try-timeout must not exceed --total-timeout');
  return r;
}

function limits(o: LimitOptions): ResolvedOptions['limits'] {
  const d = DEFAULTS.limits;
  return {
    maxHeaderBytes: int('limits.maxHeaderBytes', o.maxHeaderBytes ?? d.maxHeaderBytes, 1024, 1024 * 1024),
    maxUrlBytes: int('limits.maxUrlBytes', o.maxUrlBytes ?? d.maxUrlBytes, 64, 1024 * 1024),
    maxBodyBytes: int('--max-body', o.maxBodyBytes ?? d.maxBodyBytes, 0, 2 ** 40),
  };
}

function pool(o: PoolOptions): ResolvedOptions['pool'] {
  const d = DEFAULTS.pool;
  return {
    connections: int('--pool-connections', o.connections ?? d.connections, 1, 100_000),
    idleMs: int('pool.idleMs', o.idleMs ?? d.idleMs, 100, 600_000),
  };
}
