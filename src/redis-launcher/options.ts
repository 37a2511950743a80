/**
 * What callers may ask of the local Redis Cluster launcher, its defaults, and the one
 * place those options are checked (before anything touches DIR or a port).
 */
import { ValidationError } from '../core/errors.js';

export interface RedisClusterOptions {
  /** Holds cluster.json and one sub-directory per node (DIR/<port>/). */
  dir: string;
  /** Nodes listen on basePort…basePort+N-1, their cluster bus on +10000. @default 7000 */
  basePort?: number;
  /** Replicas per primary. @default 1 */
  replicas?: number;
  /** @default 3 (redis-cli's minimum) */
  primaries?: number;
  /** cluster-node-timeout: how long a node may be unreachable before failover. @default 5_000 */
  nodeTimeoutMs?: number;
  /** Progress lines for humans (the CLI sends them to stderr). */
  log?: (message: string) => void;
}

export interface StopClusterOptions {
  /** Also delete DIR (only when it holds nothing but what the launcher created). */
  purge?: boolean;
  /** SIGTERM, then SIGKILL after this long. @default 10_000 */
  graceMs?: number;
}

export const DEFAULT_BASE_PORT = 7000;
export const DEFAULT_REPLICAS = 1;
export const DEFAULT_PRIMARIES = 3;
export const DEFAULT_NODE_TIMEOUT_MS = 5_000;
export const DEFAULT_STOP_GRACE_MS = 10_000;
/** Redis derives each node's cluster bus port as client port + 10000. */
export const CLUSTER_BUS_OFFSET = 10_000;
/** `redis-cli --cluster create` refuses fewer than three primaries. */
export const MIN_PRIMARIES = 3;
export const CLUSTER_SLOTS = 16_384;

/** How many redis-server processes a cluster of these options runs. */
export function nodeCountFor(opts: Pick<RedisClusterOptions, 'primaries' | 'replicas'>): number {
  return (opts.primaries ?? DEFAULT_PRIMARIES) * (1 + (opts.replicas ?? DEFAULT_REPLICAS));
}

/** Throws ValidationError (VALIDATION_FAILED) for options that can never work. */
export function validateOptions(opts: RedisClusterOptions): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new ValidationError(`invalid Redis Cluster option: ${what}`);
  };
  const primaries = opts.primaries ?? DEFAULT_PRIMARIES;
  const replicas = opts.replicas ?? DEFAULT_REPLICAS;
  const base = opts.basePort ?? DEFAULT_BASE_PORT;
  check(Number.isInteger(primaries) && primaries >= MIN_PRIMARIES, `primaries must be an integer >= ${MIN_PRIMARIES}`);
  check(Number.isInteger(replicas) && replicas >= 0, 'replicas must be an integer >= 0');
  // Every bus port must fit too, not only the client ports.
  const last = base + primaries * (1 + replicas) - 1 + CLUSTER_BUS_OFFSET;
  check(
    Number.isInteger(base) && base >= 1 && last <= 65535,
    `basePort ${base} leaves no room for ${primaries * (1 + replicas)} nodes and their bus ports (+${CLUSTER_BUS_OFFSET})`,
  );
  const timeout = opts.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  check(Number.isInteger(timeout) && timeout > 0, 'nodeTimeoutMs must be a positive integer');
}
