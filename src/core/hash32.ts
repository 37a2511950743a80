/**
 * A fast, stable 32-bit string hash that every process computes alike: the gateway's
 * hash ring places nodes and keys with it, and the embedded store draws a member's rank
 * level from it. Not for anything an adversary must not steer.
 */

/** FNV-1a over UTF-16 code units, then murmur3's finalizer so similar keys (names that differ in one digit) spread out. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
