/**
 * The servers behind the redis drivers, started for this run only on free ports in a
 * temp dir: one redis-server (appendonly yes, everysec — the durable setting a
 * production Redis uses) and a 6-node local Redis Cluster.
 */
import path from 'node:path';
import { freePort, freePortRange } from '../../src/core/ports.js';
import { CLUSTER_BUS_OFFSET, startRedisCluster, stopRedisCluster } from '../../src/redis-launcher/index.js';
import { startRedisServer } from '../../src/redis-launcher/redis-server.js';
import { onCleanup } from './cleanup.js';

export interface Backend {
  url: string;
  /** The port redis-benchmark is pointed at (the single server only). */
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(tmp: string): Promise<Backend> {
  const port = await freePort();
  const server = await startRedisServer({
    port,
    dir: path.join(tmp, 'redis'),
    config: { appendonly: 'yes', appendfsync: 'everysec' },
  });
  const stop = onCleanup(() => server.stop(5_000));
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

export async function startCluster(tmp: string): Promise<Backend> {
  const dir = path.join(tmp, 'cluster');
  // Registered before starting: an interrupted start still leaves a manifest to stop from.
  const stop = onCleanup(async () => {
    await stopRedisCluster(dir, { graceMs: 5_000 });
  });
  const basePort = await freePortRange(6, CLUSTER_BUS_OFFSET);
  const cluster = await startRedisCluster({ dir, basePort, nodeTimeoutMs: 5_000 });
  return { url: cluster.seedUrl, port: basePort, stop };
}
