/**
 * Redis key layout of the `redis` and `redis-cluster` drivers: prefix + type tag + the
 * caller's key, e.g. `ms:kv:{u:OPENID}:kv:name`.
 *
 * Redis Cluster hashes only the text inside the FIRST `{…}` of a key, and a script may
 * only touch keys of one slot. So neither the prefix nor a type tag contains a brace:
 * the caller's own hash tag (`{u:OPENID}`, see src/store/keys.ts) stays the first one
 * and keeps all of one user's keys on one shard. Where a script needs two keys of ours
 * together (a lock and its fencing counter, the two registry keys) we add a tag that
 * both keys share.
 */
import { ValidationError } from '../../core/errors.js';

/** @default 'ms:' */
export const DEFAULT_REDIS_PREFIX = 'ms:';

export class RedisKeys {
  readonly #p: string;

  constructor(prefix: string = DEFAULT_REDIS_PREFIX) {
    if (prefix.includes('{') || prefix.includes('}')) {
      throw new ValidationError('the Redis key prefix must not contain braces: it would become the cluster hash tag of every key');
    }
    this.#p = prefix;
  }

  /** A hash {v: JSON text, ver, e: expiresAt or 0}; without `v` it is a tombstone. */
  kv(key: string): string {
    return `${this.#p}kv:${key}`;
  }

  /** A string holding the counter's decimal value. */
  counter(key: string): string {
    return `${this.#p}ctr:${key}`;
  }

  /** One zset per board, of negated scores. */
  board(board: string): string {
    return `${this.#p}z:${board}`;
  }

  /** A string holding the GCRA theoretical arrival time. */
  rate(key: string): string {
    return `${this.#p}rl:${key}`;
  }

  /**
   * The lock hash and its fencing counter. Both keys differ only before their first
   * `{`, so they hash to the same slot whatever the name contains (a name with its own
   * braces just moves the tag boundary identically in both).
   */
  lock(name: string): [lock: string, fence: string] {
    return [`${this.#p}lock:{${name}}`, `${this.#p}fence:{${name}}`];
  }

  /** The node registry: a zset nodeId → expiresAt and a hash nodeId → info JSON, one slot. */
  registry(): [nodes: string, info: string] {
    return [`${this.#p}{registry}:nodes`, `${this.#p}{registry}:info`];
  }
}
