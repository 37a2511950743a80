/**
 * The store behind `miniscale up`: checked reachable before any node starts (a wrong
 * --store-url is one clear error, not N nodes timing out), and for `--store
 * redis-cluster` with no URL, a local cluster launched in DATA/redis-cluster whose
 * teardown a guard process owns (src/redis-launcher/guard.ts), so it never outlives `up`.
 */
import path from 'node:path';
import { StoreUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import { openStore, resolveStoreConfig, type StoreConfig } from '../store/index.js';
import { guardRedisCluster, type ClusterGuard } from '../redis-launcher/guard.js';
import { freePortRange } from '../core/ports.js';
import { isAlive } from '../redis-launcher/redis-server.js';
import {
  CLUSTER_BUS_OFFSET,
  DEFAULT_PRIMARIES,
  DEFAULT_REPLICAS,
  readClusterManifest,
  startRedisCluster,
} from '../redis-launcher/index.js';
import type { UpOptions } from './up-options.js';

export interface PreparedStore {
  config: StoreConfig;
  /** Arguments for `miniscale node`. */
  nodeArgs: string[];
  /** For humans: "embedded (/path)", "redis (redis://…)", "redis-cluster (local, …)". */
  label: string;
  /** Stops what `up` launched for the store (nothing for embedded or a given URL). */
  release(): Promise<void>;
  /** Processes launched for the store that still run (the cluster's servers and its guard). */
  pids(): number[];
}

export async function prepareStore(o: UpOptions, log: Logger): Promise<PreparedStore> {
  let guard: ClusterGuard | undefined;
  let url = o.storeUrl;
  let launched: number[] = [];
  if (o.store === 'redis-cluster' && !url) {
    const launch = await launchLocalCluster(path.join(o.dataDir, 'redis-cluster'), log);
    guard = launch.guard;
    url = launch.seedUrl;
    launched = [guard.pid, ...launch.pids];
  }
  const release = async () => {
    await guard?.release();
  };
  const config = resolveStoreConfig({ store: o.store, storeUrl: url, data: o.dataDir });
  try {
    await checkReachable(config);
  } catch (err) {
    await release();
    throw err;
  }
  const nodeArgs = ['--store', o.store, '--data', o.dataDir, ...(url ? ['--store-url', url] : [])];
  const where = config.driver === 'embedded' ? config.dir : `${guard ? 'local, ' : ''}${config.url}`;
  return { config, nodeArgs, label: `${o.store} (${where})`, release, pids: () => launched.filter(isAlive) };
}

async function launchLocalCluster(dir: string, log: Logger): Promise<{ seedUrl: string; guard: ClusterGuard; pids: number[] }> {
  const nodeCount = DEFAULT_PRIMARIES * (1 + DEFAULT_REPLICAS);
  // A cluster formed here before resumes on its own ports, with its data.
  const basePort = readClusterManifest(dir) ? undefined : await freePortRange(nodeCount, CLUSTER_BUS_OFFSET);
  log.info({ dir }, 'starting a local Redis Cluster');
  const cluster = await startRedisCluster({ dir, basePort, log: (message) => log.info({ dir }, message) });
  // Armed only after the start: startRedisCluster rolls back on its own failures.
  const guard = await guardRedisCluster(dir);
  return { seedUrl: cluster.nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(','), guard, pids: cluster.nodes.map((n) => n.pid) };
}

async function checkReachable(config: StoreConfig): Promise<void> {
  const store = await openStore({ ...config, opTimeoutMs: 5_000 });
  try {
    await store.ping();
  } catch (err) {
    const where = config.driver === 'embedded' ? config.dir : config.url;
    throw new StoreUnavailableError(
      `the ${config.driver} store at ${where} does not answer: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    await store.close().catch(() => undefined);
  }
}
