/**
 * Turns the user-facing store flags (`--store`, `--store-url`, `--data`) into a
 * StoreConfig, with the checks and messages every command shares.
 */
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { StoreConfig } from './open-store.js';
import type { StoreDriverName } from './store.js';

export interface StoreFlags {
  store?: string;
  storeUrl?: string;
  /** The data directory; the embedded store lives in DATA/embedded. @default './data' */
  data?: string;
}

export const DEFAULT_DATA_DIR = './data';

export function resolveStoreConfig(flags: StoreFlags): StoreConfig {
  const driver = (flags.store ?? 'embedded') as StoreDriverName;
  switch (driver) {
    case 'embedded':
      if (flags.storeUrl) throw new ConfigError('--store-url is for the redis and redis-cluster stores; the embedded store uses --data');
      return { driver, dir: embeddedDir(flags.data ?? DEFAULT_DATA_DIR) };
    case 'redis':
    case 'redis-cluster': {
      const url = flags.storeUrl;
      if (!url) throw new ConfigError(`--store ${driver} needs --store-url (e.g. redis://127.0.0.1:${driver === 'redis' ? 6379 : 7000})`);
      for (const part of url.split(',')) {
        if (!/^rediss?:\/\/[^\s/]+(\/\d+)?$/.test(part.trim())) throw new ConfigError(`--store-url: "${part}" is not a redis:// URL`);
      }
      return { driver, url };
    }
    default:
      throw new ConfigError(`--store must be one of embedded, redis, redis-cluster (got "${flags.store}")`);
  }
}

export function embeddedDir(dataDir: string): string {
  return path.resolve(dataDir, 'embedded');
}
