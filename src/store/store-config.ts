/**
 * Turns the user-facing store flags (`--store`, `--store-url`, `--data`) into a
 * StoreConfig, with the checks and messages every command shares.
 */
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_WAIT_TIMEOUT_MS, type StoreConfig } from './config.js';
import type { StoreDriverName } from './store.js';

export interface StoreFlags {
  store?: string;
  storeUrl?: string;
  /** The data directory; the embedded store lives in DATA/embedded. @default './data' */
  data?: string;
}

export const DEFAULT_DATA_DIR = './data';

/**
 * Environment variables read here rather than as flags, so that `miniscale up` hands
 * them to every node it starts (nodes inherit its environment) with no new plumbing.
 */
type Env = Record<string, string | undefined>;

export function resolveStoreConfig(flags: StoreFlags, env: Env = process.env): StoreConfig {
  const driver = (flags.store ?? 'embedded') as StoreDriverName;
  const wait = replicationWait(env);
  switch (driver) {
    case 'embedded':
      if (flags.storeUrl) throw new ConfigError('--store-url is for the redis and redis-cluster stores; the embedded store uses --data');
      if (wait.waitReplicas)
        throw new ConfigError(
          'MINISCALE_STORE_WAIT_REPLICAS is for the redis and redis-cluster stores (the embedded store has no replicas)',
        );
      return { driver, dir: embeddedDir(flags.data ?? DEFAULT_DATA_DIR) };
    case 'redis':
    case 'redis-cluster': {
      const url = flags.storeUrl;
      if (!url) throw new ConfigError(`--store ${driver} needs --store-url (e.g. redis://127.0.0.1:${driver === 'redis' ? 6379 : 7000})`);
      for (const part of url.split(',')) {
        if (!/^rediss?:\/\/[^\s/]+(\/\d+)?$/.test(part.trim())) throw new ConfigError(`--store-url: "${part}" is not a redis:// URL`);
      }
      return { driver, url, ...wait };
    }
    default:
      throw new ConfigError(`--store must be one of embedded, redis, redis-cluster (got "${flags.store}")`);
  }
}

export function embeddedDir(dataDir: string): string {
  return path.resolve(dataDir, 'embedded');
}

const MAX_WAIT_REPLICAS = 16;

function replicationWait(env: Env): { waitReplicas?: number; waitTimeoutMs?: number } {
  const replicas = env.MINISCALE_STORE_WAIT_REPLICAS?.trim();
  const timeout = env.MINISCALE_STORE_WAIT_TIMEOUT_MS?.trim();
  if (!replicas || replicas === '0') return {};
  const n = Number(replicas);
  if (!/^\d+$/.test(replicas) || n > MAX_WAIT_REPLICAS)
    throw new ConfigError(`MINISCALE_STORE_WAIT_REPLICAS must be an integer from 0 to ${MAX_WAIT_REPLICAS} (got "${replicas}")`);
  const ms = timeout ? Number(timeout) : DEFAULT_WAIT_TIMEOUT_MS;
  // Below the store's per-call timeout (2 s), so a write that waits in vain is answered as such.
  if (timeout && (!/^\d+$/.test(timeout) || ms < 1 || ms > 1_500))
    throw new ConfigError(`MINISCALE_STORE_WAIT_TIMEOUT_MS must be an integer from 1 to 1500 (got "${timeout}")`);
  return { waitReplicas: n, waitTimeoutMs: ms };
}
