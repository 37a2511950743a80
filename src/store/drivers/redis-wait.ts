/**
 * Optional synchronous replication for data writes: after a write, `WAIT replicas
 * timeout` on the same connection, and the write is acknowledged only once that many
 * replicas have it. Redis replicates asynchronously, so without this a primary that
 * dies right after acknowledging a write can take it along (the Redis Cluster
 * specification says so); with it, the promoted replica has every acknowledged write
 * unless the replica itself is lost too. It narrows the window, it does not make Redis
 * strongly consistent: a write that times out waiting is still on the primary, and may
 * or may not survive — so it is reported as STORE_UNAVAILABLE ("maybe applied"), never
 * as success.
 *
 * WAIT counts the writes of the connection it runs on, so it must go to the primary
 * that took the write: with ioredis's Cluster there is one connection per node, found
 * from the slot map (redis-slot.ts).
 */
import { Cluster, type Redis } from 'ioredis';
import { StoreUnavailableError } from '../../core/errors.js';
import { primaryConnection } from './redis-slot.js';

export interface ReplicationWait {
  /** Replicas that must have a write before it is acknowledged; 0 = do not wait. */
  replicas: number;
  /** How long to wait for them before the write is reported as unknown. */
  timeoutMs: number;
}

export async function waitForReplicas(client: Redis | Cluster, redisKey: string, wait: ReplicationWait): Promise<void> {
  const conn = client instanceof Cluster ? primaryFor(client, redisKey) : client;
  const acked = Number(await conn.call('WAIT', String(wait.replicas), String(wait.timeoutMs)));
  if (acked < wait.replicas) {
    throw new StoreUnavailableError(
      `the write reached ${acked} of ${wait.replicas} replica(s) within ${wait.timeoutMs} ms; it is on the primary but may be lost if it fails`,
    );
  }
}

function primaryFor(cluster: Cluster, redisKey: string): Redis {
  const node = primaryConnection(cluster, redisKey);
  if (!node) throw new StoreUnavailableError(`no connected primary for ${redisKey}; the write may or may not be replicated`);
  return node;
}
