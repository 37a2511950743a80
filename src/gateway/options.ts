/**
 * Everything the gateway can be told, with its defaults, checked once at start-up.
 * A bad value is a ConfigError (exit 2 from the CLI) naming the option and what it
 * accepts, so a typo never becomes a gateway that half-works.
 */
import net from 'node:net';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { StoreConfig } from '../store/config.js';
import { DEFAULT_PORT } from '../core/public-port.js';
import type { DiscoverySource } from './discovery-source.js';
import type { ClusterLink } from './types.js';

export const ALGORITHMS = ['p2c-ewma', 'round-robin', 'least-conn', 'hash'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export type HashKey = { kind: 'header'; name: string } | { kind: 'ip' };

export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_ALGORITHM: Algorithm = 'p2c-ewma';
/** Bounded-load factor c of consistent hashing: no node takes more than c × the mean load. */
export const DEFAULT_HASH_BALANCE = 1.25;
/**
 * Peak-EWMA decay time constant. Measured on this 2-core machine (docs/gateway.md): a
 * +100 ms node got a median 0.4 % of requests at 10 concurrent, 0.9 % at 40 and 0.5 %
 * at 64 with 5 s — the same as with Finagle's 10 s within the noise; 2.5 s once let it
 * take 7 %. A node nobody picks gets its share back when its estimate has decayed to the
 * others' cost, about 1.6 × this constant after a +100 ms spell (≈ 8 s, against 16 s
 * at 10 s): a node that had one slow moment (a GC pause) is not sidelined for long.
 */
export const DEFAULT_EWMA_DECAY_MS = 5_000;
/** A failed attempt counts as at least this slow, so a node failing fast does not look fast. */
export const DEFAULT_FAILURE_PENALTY_MS = 250;
export const DEFAULT_HEALTH_PATH = '/readyz';
export const DEFAULT_HEALTH_INTERVAL_MS = 2_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 1_000;
export const DEFAULT_HEALTHY_THRESHOLD = 2;
export const DEFAULT_UNHEALTHY_THRESHOLD = 2;
export const DEFAULT_EJECT_AFTER_FAILURES = 5;
export const DEFAULT_EJECTION_BASE_MS = 5_000;
export const DEFAULT_EJECTION_MAX_MS = 60_000;
export const DEFAULT_SLOW_START_MS = 10_000;
/**
 * Latency-outlier ejection (health/latency-outliers.ts): an upstream whose mean latency
 * over the last second is above 3 × its peers' median and 50 ms above it is ejected.
 * The 50 ms floor keeps millisecond differences on a fast LAN from ejecting anything.
 */
export const DEFAULT_LATENCY_EJECTION_FACTOR = 3;
export const DEFAULT_LATENCY_EJECTION_EXCESS_MS = 50;
export const DEFAULT_OUTLIER_INTERVAL_MS = 1_000;
export const DEFAULT_OUTLIER_MIN_REQUESTS = 5;
/** A returning node starts at this fraction of a full share (Envoy's min_weight_percent is 10 %). */
export const DEFAULT_SLOW_START_MIN_WEIGHT = 0.1;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_BUDGET_RATIO = 0.2;
export const DEFAULT_RETRY_BUDGET_MIN = 3;
export const DEFAULT_RETRY_BUDGET_WINDOW_MS = 10_000;
export const DEFAULT_TRY_TIMEOUT_MS = 10_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CLIENT_IDLE_TIMEOUT_MS = 10_000;
/** No byte either way on a client socket for this long (a slow reader) closes it. */
export const DEFAULT_SOCKET_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
export const DEFAULT_MAX_URL_BYTES = 8 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_POOL_CONNECTIONS = 128;
/**
 * Idle keep-alive sockets to an upstream are closed after this when the upstream sends
 * no `Keep-Alive: timeout=` hint. Below Node's default server keepAliveTimeout (5 s),
 * so the pool closes an idle socket before the upstream does (the keep-alive race).
 */
export const DEFAULT_POOL_IDLE_MS = 4_000;
export const DEFAULT_DISCOVER_INTERVAL_MS = 1_000;
export const DEFAULT_CLOSE_GRACE_MS = 10_000;

export interface GatewayOptions {
  /** @default 8080; 0 picks a free port */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** `http://host:port` of each upstream, as given (reported as given by the admin API). */
  upstreams?: string[];
  /** Discover upstreams from the store's node registry, polled every `discoverIntervalMs`. */
  discover?: StoreConfig;
  discoverIntervalMs?: number;
  /** Another source of upstreams (`up --gateway`'s node supervisor), besides the static list and `discover`. */
  discovery?: DiscoverySource;
  algorithm?: Algorithm;
  /** What the `hash` algorithm hashes. @default { kind: 'ip' } */
  hashKey?: HashKey;
  hashBalance?: number;
  ewmaDecayMs?: number;
  failurePenaltyMs?: number;
  /** CIDRs whose X-Forwarded-For is trusted (appended to, not replaced). @default [] */
  trustProxy?: string[];
  /** Lets non-loopback clients use /_gateway/ with `Authorization: Bearer KEY`. */
  adminKey?: string;
  healthPath?: string;
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  ejectAfterFailures?: number;
  ejectionBaseMs?: number;
  ejectionMaxMs?: number;
  slowStartMs?: number;
  /** Eject an upstream slower than this × its peers' median latency; 0 = off. @default 3 */
  latencyEjectionFactor?: number;
  latencyEjectionExcessMs?: number;
  maxAttempts?: number;
  retryBudgetRatio?: number;
  retryBudgetMin?: number;
  retryBudgetWindowMs?: number;
  tryTimeoutMs?: number;
  totalTimeoutMs?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  clientIdleTimeoutMs?: number;
  socketTimeoutMs?: number;
  maxHeaderBytes?: number;
  maxUrlBytes?: number;
  maxBodyBytes?: number;
  poolConnections?: number;
  poolIdleMs?: number;
  closeGraceMs?: number;
  /** One info line per request. @default true */
  accessLog?: boolean;
  logger?: Logger;
  /** Set in each worker of a multi-worker gateway (`--workers`): how admin routes reach the others. */
  cluster?: ClusterLink;
  /**
   * Upstreams (URL, host:port or node id) drained by the admin API before this process
   * started: a restarted worker of a multi-worker gateway takes them over before it
   * listens, so it never sends a drained upstream a request.
   */
  drained?: readonly string[];
  /**
   * How often the node at an upstream's URL was restarted after a crash, when whoever
   * runs the nodes knows (`up --gateway`'s supervisor): shown by the console.
   */
  restartsOf?(url: string): number | undefined;
}

export type ResolvedOptions = Required<
  Omit<GatewayOptions, 'discover' | 'discovery' | 'adminKey' | 'logger' | 'cluster' | 'drained' | 'restartsOf'>
> &
  Pick<GatewayOptions, 'discover' | 'adminKey'>;

export function resolveOptions(o: GatewayOptions): ResolvedOptions {
  const upstreams = (o.upstreams ?? []).map((u) => checkUpstreamUrl(u, '--upstream'));
  if (upstreams.length === 0 && !o.discover && !o.discovery) {
    throw new ConfigError('give at least one --upstream URL, or --discover to find upstreams in the store');
  }
  if (new Set(upstreams.map(upstreamId)).size !== upstreams.length) throw new ConfigError('--upstream: the same host:port is given twice');
  const algorithm = o.algorithm ?? DEFAULT_ALGORITHM;
  if (!ALGORITHMS.includes(algorithm))
    throw new ConfigError(`--algorithm must be one of ${ALGORITHMS.join(', ')} (got "${String(algorithm)}")`);
  if (o.hashKey && algorithm !== 'hash') throw new ConfigError('--hash-key only applies to --algorithm hash');
  const r: ResolvedOptions = {
    port: int('--port', o.port ?? DEFAULT_PORT, 0, 65535),
    host: checkHost(o.host ?? DEFAULT_HOST),
    upstreams,
    discover: o.discover,
    discoverIntervalMs: int('discoverIntervalMs', o.discoverIntervalMs ?? DEFAULT_DISCOVER_INTERVAL_MS, 50, 60_000),
    algorithm,
    hashKey: o.hashKey ?? { kind: 'ip' },
    hashBalance: num('--hash-balance', o.hashBalance ?? DEFAULT_HASH_BALANCE, 1, 100),
    ewmaDecayMs: int('--ewma-decay', o.ewmaDecayMs ?? DEFAULT_EWMA_DECAY_MS, 10, 600_000),
    failurePenaltyMs: int('failurePenaltyMs', o.failurePenaltyMs ?? DEFAULT_FAILURE_PENALTY_MS, 0, 60_000),
    trustProxy: (o.trustProxy ?? []).map(checkCidr),
    adminKey: o.adminKey,
    healthPath: checkPath(o.healthPath ?? DEFAULT_HEALTH_PATH),
    healthIntervalMs: int('--health-interval', o.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS, 0, 3_600_000),
    healthTimeoutMs: int('--health-timeout', o.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS, 10, 60_000),
    healthyThreshold: int('healthyThreshold', o.healthyThreshold ?? DEFAULT_HEALTHY_THRESHOLD, 1, 100),
    unhealthyThreshold: int('unhealthyThreshold', o.unhealthyThreshold ?? DEFAULT_UNHEALTHY_THRESHOLD, 1, 100),
    ejectAfterFailures: int('--eject-after', o.ejectAfterFailures ?? DEFAULT_EJECT_AFTER_FAILURES, 1, 1000),
    ejectionBaseMs: int('ejectionBaseMs', o.ejectionBaseMs ?? DEFAULT_EJECTION_BASE_MS, 10, 3_600_000),
    ejectionMaxMs: int('ejectionMaxMs', o.ejectionMaxMs ?? DEFAULT_EJECTION_MAX_MS, 10, 3_600_000),
    slowStartMs: int('--slow-start', o.slowStartMs ?? DEFAULT_SLOW_START_MS, 0, 3_600_000),
    latencyEjectionFactor: latencyFactor(o.latencyEjectionFactor ?? DEFAULT_LATENCY_EJECTION_FACTOR),
    latencyEjectionExcessMs: int('latencyEjectionExcessMs', o.latencyEjectionExcessMs ?? DEFAULT_LATENCY_EJECTION_EXCESS_MS, 0, 600_000),
    maxAttempts: int('--max-attempts', o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 1, 10),
    retryBudgetRatio: num('--retry-budget', o.retryBudgetRatio ?? DEFAULT_RETRY_BUDGET_RATIO, 0, 10),
    retryBudgetMin: int('retryBudgetMin', o.retryBudgetMin ?? DEFAULT_RETRY_BUDGET_MIN, 0, 1_000_000),
    retryBudgetWindowMs: int('retryBudgetWindowMs', o.retryBudgetWindowMs ?? DEFAULT_RETRY_BUDGET_WINDOW_MS, 100, 3_600_000),
    tryTimeoutMs: int('--try-timeout', o.tryTimeoutMs ?? DEFAULT_TRY_TIMEOUT_MS, 1, 3_600_000),
    totalTimeoutMs: int('--total-timeout', o.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS, 1, 3_600_000),
    connectTimeoutMs: int('connectTimeoutMs', o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 1, 600_000),
    headersTimeoutMs: int('--headers-timeout', o.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, 100, 3_600_000),
    requestTimeoutMs: int('--request-timeout', o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 100, 3_600_000),
    clientIdleTimeoutMs: int('--idle-timeout', o.clientIdleTimeoutMs ?? DEFAULT_CLIENT_IDLE_TIMEOUT_MS, 100, 3_600_000),
    socketTimeoutMs: int('socketTimeoutMs', o.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS, 0, 3_600_000),
    maxHeaderBytes: int('maxHeaderBytes', o.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, 1024, 1024 * 1024),
    maxUrlBytes: int('maxUrlBytes', o.maxUrlBytes ?? DEFAULT_MAX_URL_BYTES, 64, 1024 * 1024),
    maxBodyBytes: int('--max-body', o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 0, 2 ** 40),
    poolConnections: int('--pool-connections', o.poolConnections ?? DEFAULT_POOL_CONNECTIONS, 1, 100_000),
    poolIdleMs: int('poolIdleMs', o.poolIdleMs ?? DEFAULT_POOL_IDLE_MS, 100, 600_000),
    closeGraceMs: int('closeGraceMs', o.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS, 0, 600_000),
    accessLog: o.accessLog ?? true,
  };
  if (r.headersTimeoutMs > r.requestTimeoutMs) throw new ConfigError('--headers-timeout must not exceed --request-timeout');
  if (r.tryTimeoutMs > r.totalTimeoutMs) throw new ConfigError('--try-timeout must not exceed --total-timeout');
  if (r.ejectionBaseMs > r.ejectionMaxMs) throw new ConfigError('ejectionBaseMs must not exceed ejectionMaxMs');
  if (r.hashKey.kind === 'header' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(r.hashKey.name)) {
    throw new ConfigError(`--hash-key header:NAME needs a valid header name (got "${r.hashKey.name}")`);
  }
  return r;
}

/** 0 (off), or a factor of at least 1.5: closer to 1, ordinary spread between nodes would eject them. */
function latencyFactor(v: number): number {
  if (v === 0) return 0;
  return num('--latency-ejection', v, 1.5, 1000);
}

/** The id an upstream is known by in the admin API: `host:port` of its URL. */
export function upstreamId(url: string): string {
  return new URL(url).host;
}

/** `http://host:port` with no path, query or credentials; returned as given (minus a trailing slash). */
export function checkUpstreamUrl(raw: string, what: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${what}: "${raw}" is not a URL (expected http://host:port)`);
  }
  if (u.protocol !== 'http:') throw new ConfigError(`${what}: "${raw}" must be http:// (TLS ends at the gateway)`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password) {
    throw new ConfigError(`${what}: "${raw}" must be just http://host:port, with no path, query or credentials`);
  }
  return raw.replace(/\/$/, '');
}

export function parseHashKey(raw: string): HashKey {
  if (raw === 'ip') return { kind: 'ip' };
  const m = /^header:(.+)$/i.exec(raw);
  if (m?.[1]) return { kind: 'header', name: m[1].toLowerCase() };
  throw new ConfigError(`--hash-key must be header:NAME or ip (got "${raw}")`);
}

function checkCidr(raw: string): string {
  const [addr, bits, extra] = raw.split('/');
  const family = net.isIP(addr ?? '');
  const max = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (
    !family ||
    extra !== undefined ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (bits !== undefined && !/^\d+$/.test(bits))
  ) {
    throw new ConfigError(`--trust-proxy must be an IP address or CIDR like 10.0.0.0/8 (got "${raw}")`);
  }
  return `${addr}/${prefix}`;
}

function checkHost(host: string): string {
  if (!host || /[\s/]/.test(host)) throw new ConfigError(`--host must be an address to listen on (got "${host}")`);
  return host;
}

function checkPath(p: string): string {
  if (!/^\/[\x21-\x7e]*$/.test(p)) throw new ConfigError(`--health-path must start with / and contain no spaces (got "${p}")`);
  return p;
}

function int(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

function num(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}
