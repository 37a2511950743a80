/**
 * Which connection a key's commands go to. The Redis Cluster hash slot of a key is
 * CRC16 (XMODEM) of the key, or of its first non-empty `{…}` hash tag, modulo 16384 —
 * as the Redis Cluster specification defines it; ioredis keeps one connection per
 * node. Needed to act on the very connection a write went over: WAIT after it
 * (redis-wait.ts), or a reset after it timed out (RedisDriver).
 */
import type { Cluster, Redis } from 'ioredis';

export const CLUSTER_SLOTS = 16_384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc;
}

export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % CLUSTER_SLOTS;
  }
  return crc16(bytes) % CLUSTER_SLOTS;
}

/** ioredis's connection to the primary that owns `redisKey`'s slot, per its slot map. */
export function primaryConnection(cluster: Cluster, redisKey: string): Redis | undefined {
  const owner = cluster.slots[keySlot(redisKey)]?.[0];
  return owner ? cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner) : undefined;
}
