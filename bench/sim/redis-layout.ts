/**
 * Where the Redis Cluster's servers run: shard s's primary on host s, and its replicas on
 * the next hosts round the ring, so no shard keeps two copies on one host and every
 * host holds one copy of some shards. With as many copies of each shard as hosts minus
 * one or more, losing any one host leaves every shard a primary *and* a replica — which
 * is what lets writes that wait for a replica (MINISCALE_STORE_WAIT_REPLICAS=1) go on
 * through the loss of a whole host.
 */

export interface RedisNodePlan {
  /** Index into the app hosts. */
  host: number;
  shard: number;
  /** 0 for the shard's primary, 1.. for its replicas. */
  copy: number;
  port: number;
}

export const REDIS_BASE_PORT = 7000;

export function planRedisLayout(hosts: number, shards: number, replicas: number): RedisNodePlan[] {
  if (shards < 3) throw new Error('a Redis Cluster needs at least 3 primaries');
  if (replicas + 1 > hosts) throw new Error(`${replicas + 1} copies of a shard need at least as many hosts (got ${hosts})`);
  const nodes: RedisNodePlan[] = [];
  for (let shard = 0; shard < shards; shard++) {
    for (let copy = 0; copy <= replicas; copy++) {
      const host = (shard + copy) % hosts;
      // One port per server of a host: the copies a host holds never share a number.
      const port = REDIS_BASE_PORT + nodes.filter((n) => n.host === host).length;
      nodes.push({ host, shard, copy, port });
    }
  }
  return nodes;
}
