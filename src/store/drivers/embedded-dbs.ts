/**
 * The named LMDB databases of one embedded store directory, as the driver, the sweeper
 * and the environment registry see them. Types only, so that each of those can import
 * them without importing the others.
 */
import type { Database, RootDatabase } from 'lmdb';
import type { JsonObject } from '../store.js';
import type { KvRecord } from './embedded-record.js';
import type { RankingKey, RankTreeKey, RankTreeValue } from './embedded-rank-index.js';
import type { MetaDb } from './embedded-format.js';

export interface LockRecord {
  owner: string;
  token: number;
  exp: number;
}
export interface NodeRecord {
  info: JsonObject;
  exp: number;
}

export interface EmbeddedDbs {
  root: RootDatabase;
  kv: Database<KvRecord, string>;
  /** The same database as `kv`, unencoded: packed records (format 2) are written through it as they are. */
  kvRaw: Database<Buffer, string>;
  /** Expiry index of kv: [expiresAt, key] → true, so the sweeper reads only what is due. */
  expiry: Database<true, [number, string]>;
  counters: Database<number, string>;
  /** member score per board: [board, member] → score. */
  scores: Database<number, [string, string]>;
  /** Ranking index: [board, -score, member] → true; key order is rank order. */
  ranking: Database<true, RankingKey>;
  /** Counted levels over the ranking index (format 2; embedded-rank-index.ts). */
  rankTree: Database<RankTreeValue, RankTreeKey>;
  /** The store format switch (embedded-format.ts). */
  meta: MetaDb;
  /** GCRA theoretical arrival time per key (µs since GCRA_EPOCH_US). */
  limits: Database<number, string>;
  locks: Database<LockRecord, string>;
  /** Last fencing token per lock name; never deleted, so tokens only grow. */
  fences: Database<number, string>;
  nodes: Database<NodeRecord, string>;
}
