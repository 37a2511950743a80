/**
 * The store format switch, recorded in the data directory so that every process agrees:
 *
 * - format 1: kv records as msgpack `{ j, ver, exp }` (JSON text), ranks counted on the
 *   ranking index. What every earlier version writes and can read.
 * - format 2: kv records in the packed layout (embedded-packed-record.ts) and the
 *   counted rank levels (embedded-rank-index.ts) maintained by every score write.
 *
 * Readers understand both layouts at all times. Writers read the switch inside each
 * write transaction, so a flip takes effect for every process at the same commit, and
 * `upgradeFormat` builds the rank levels in the very transaction that flips it. A
 * process of an earlier version would misread packed records and would not maintain
 * the rank levels, so the flip is for after the last such process has stopped
 * (`miniscale store upgrade`, docs/operations.md). A new, empty directory starts at
 * format 2: no earlier version has written to it.
 */
import type { Database, RootDatabase } from 'lmdb';
import type { RankIndex } from './embedded-rank-index.js';

export const FORMAT_TEXT = 1;
export const FORMAT_PACKED = 2;
export type StoreFormat = typeof FORMAT_TEXT | typeof FORMAT_PACKED;

const FORMAT_KEY = 'format';

export type MetaDb = Database<number, string>;

/** The directory's format; a directory written before the switch existed has none: format 1. */
export function formatOf(meta: MetaDb): StoreFormat {
  return meta.get(FORMAT_KEY) === FORMAT_PACKED ? FORMAT_PACKED : FORMAT_TEXT;
}

/** Records format 2 in a directory that holds no data yet (re-checked inside the transaction). */
export async function initFormat(root: RootDatabase, meta: MetaDb, data: Database[]): Promise<void> {
  if (meta.get(FORMAT_KEY) !== undefined) return;
  await root.transaction(() => {
    if (meta.get(FORMAT_KEY) !== undefined) return;
    if (data.some((db) => db.getKeysCount({ limit: 1 }) > 0)) return;
    meta.putSync(FORMAT_KEY, FORMAT_PACKED);
  });
}

export interface UpgradeResult {
  from: StoreFormat;
  to: StoreFormat;
  boardMembers: number;
}

/** Flips the directory to format 2, building every board's rank levels in the same transaction. */
export async function upgradeFormat(root: RootDatabase, meta: MetaDb, ranks: RankIndex): Promise<UpgradeResult> {
  return root.transaction(() => {
    const from = formatOf(meta);
    if (from === FORMAT_PACKED) return { from, to: FORMAT_PACKED, boardMembers: 0 };
    const boardMembers = ranks.rebuild();
    meta.putSync(FORMAT_KEY, FORMAT_PACKED);
    return { from, to: FORMAT_PACKED, boardMembers };
  });
}
