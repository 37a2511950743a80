/**
 * The store configurations and their defaults. A leaf: it imports nothing of the
 * project, so that open-store.ts, the drivers it loads and store-config.ts can all
 * depend on it without depending on each other.
 */

/** @default 2_000 */
export const DEFAULT_OP_TIMEOUT_MS = 2_000;

export interface GuardOptions {
  /** Upper bound for any one store call. @default 2_000 */
  opTimeoutMs?: number;
  /** @default 1 MiB */
  maxValueBytes?: number;
  /** @default 100 */
  maxValueDepth?: number;
}

export interface EmbeddedStoreConfig extends GuardOptions {
  driver: 'embedded';
  /** The LMDB environment directory, shared by every process on the machine. */
  dir: string;
  /**
   * When a write is acknowledged. `flush` (default): after LMDB has fsynced it, so it
   * survives power loss. `commit`: once committed and visible, which survives any
   * process crash (the OS holds the pages) but not a machine crash.
   * @default 'flush'
   */
  durability?: 'flush' | 'commit';
  /** How often expired entries are swept from disk. @default 1_000 */
  sweepIntervalMs?: number;
}

export interface RedisStoreConfig extends GuardOptions {
  driver: 'redis' | 'redis-cluster';
  /**
   * `redis://[:password@]host:port[/db]`; for a cluster, one or more seed nodes,
   * comma-separated (`redis://127.0.0.1:7000,redis://127.0.0.1:7001`).
   */
  url: string;
  /** Prepended to every key, so several apps can share one Redis. @default 'ms:' */
  prefix?: string;
  /**
   * Data writes (set, delete, incr, zset) are acknowledged only once this many replicas
   * have them (Redis `WAIT`), so a primary's crash cannot take acknowledged writes along.
   * One more round trip per write. A write that is not replicated in time fails with
   * STORE_UNAVAILABLE (it may still survive). Rate limits, locks and the node registry
   * never wait. Environment: MINISCALE_STORE_WAIT_REPLICAS. See docs/guarantees.md.
   * @default 0 (acknowledge once the primary has it)
   */
  waitReplicas?: number;
  /** How long a write waits for its replicas. Environment: MINISCALE_STORE_WAIT_TIMEOUT_MS. @default 500 */
  waitTimeoutMs?: number;
}

export type StoreConfig = EmbeddedStoreConfig | RedisStoreConfig;

/** How long a replicated write waits for its replicas (Redis `WAIT`). */
export const DEFAULT_WAIT_TIMEOUT_MS = 500;
