/**
 * "Every killed node came back", for a Redis Cluster: all six servers run again (the
 * killed primary restarted and rejoined as a replica) and every node reports
 * cluster_state:ok with all slots covered.
 */
import { Redis } from 'ioredis';
import { readClusterManifest } from '../../../src/redis-launcher/index.js';
import type { TestCluster } from '../../support/redis.js';
import { isRunning } from '../../support/up.js';

export async function clusterWhole(cluster: TestCluster): Promise<string[]> {
  const manifest = readClusterManifest(cluster.dir);
  if (!manifest) return ['the cluster manifest is gone'];
  const problems: string[] = [];
  const dead = manifest.nodes.filter((n) => !isRunning(n.pid));
  if (dead.length > 0) problems.push(`cluster nodes not running: ${dead.map((n) => n.port).join(', ')}`);
  if (manifest.nodes.length !== cluster.cluster.nodes.length)
    problems.push(`${manifest.nodes.length} nodes on record, started ${cluster.cluster.nodes.length}`);
  for (const node of manifest.nodes) {
    const conn = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
    try {
      await conn.connect();
      const info = String(await conn.call('CLUSTER', 'INFO'));
      if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info))
        problems.push(`:${node.port} reports ${info.split('\r\n').slice(0, 3).join(' ')}`);
    } catch (err) {
      problems.push(`:${node.port}: ${(err as Error).message}`);
    } finally {
      conn.disconnect();
    }
  }
  return problems;
}
