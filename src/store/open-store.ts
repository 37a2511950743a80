/**
 * Opens a store from its configuration. Drivers are imported on demand so that a node
 * on the embedded store never loads ioredis, and the other way round.
 */
import { GuardedStore } from './guarded-store.js';
import type { StoreConfig } from './config.js';
import type { Store, StoreDriverName } from './store.js';
import { ValidationError } from '../core/errors.js';

// bench/store imports the configs from here.
export type { EmbeddedStoreConfig, RedisStoreConfig, StoreConfig } from './config.js';

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
