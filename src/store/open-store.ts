/**
 * Opens a store from its configuration. Drivers are imported on demand so that a node
 * on the embedded store never loads ioredis, and the other way round.
 */
import { GuardedStore, type GuardOptions } from './guarded-store.js';
import type { Store, StoreDriverName } from './store.js';
import { ValidationError } from '../errors.js';

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
}

export type StoreConfig = EmbeddedStoreConfig | RedisStoreConfig;

export const STORE_DRIVERS: readonly StoreDriverName[] = ['embedded', 'redis', 'redis-cluster'];

export async function openStore(config: StoreConfig): Promise<Store> {
  switch (config.driver) {
    case 'embedded': {
      const { openEmbeddedDriver } = await import('./drivers/embedded.js');
      return new GuardedStore(await openEmbeddedDriver(config), config);
    }
    case 'redis':
    case 'redis-cluster': {
      const { openRedisDriver } = await import('./drivers/redis.js');
      return new GuardedStore(await openRedisDriver(config), config);
    }
    default:
      throw new ValidationError(`unknown store driver ${String((config as { driver: unknown }).driver)}`);
  }
}
