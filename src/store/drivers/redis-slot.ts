/**
 * Which connection a key's commands go to. The Redis Cluster hash slot of a key is
 * CRC16 (XMODEM) of the key, or of its first non-empty `{…}` hash tag, modulo 16384;
 * ioredis computes it with cluster-key-slot and keeps one connection per node, so the
 * same function is used here — a slot computed differently would pick a wrong node.
 * Needed to act on the very connection a write went over: WAIT after it
 * (redis-wait.ts), or a reset after it timed out (RedisDriver).
 */
import clusterKeySlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';

export const CLUSTER_SLOTS = 16_384;

/** The key's hash slot, by the very function ioredis routes commands with. */
export function keySlot(key: string): number {
  return clusterKeySlot(key);
}

/** ioredis's connection to the primary that owns `redisKey`'s slot, per its slot map. */
export function primaryConnection(cluster: Cluster, redisKey: string): Redis | undefined {
  const owner = cluster.slots[keySlot(redisKey)]?.[0];
  return owner ? cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner) : undefined;
}
