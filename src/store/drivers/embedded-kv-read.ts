/**
 * Reading a kv record in whichever layout it is stored: the packed layout of store
 * format 2 (embedded-packed-record.ts) or format 1's msgpack `{ j, ver, exp }`, read by
 * hand when it has its usual shape (embedded-record.ts) and by lmdb-js otherwise. Both
 * layouts live side by side in one directory: a record keeps its layout until it is
 * next written.
 */
import type { Database } from 'lmdb';
import type { JsonValue } from '../store.js';
import { isPacked, readPackedRecord, readPackedValue, type PackedValue } from './embedded-packed-record.js';
import { readKvRecord, type KvRecord } from './embedded-record.js';

export type KvDb = Database<KvRecord, string>;

/** The record with its value as JSON text, or undefined when the key was never written (or swept). */
export function readStoredKv(kv: KvDb, key: string): KvRecord | undefined {
  const bytes = kv.getBinaryFast(key);
  if (bytes === undefined) return undefined;
  if (Buffer.isBuffer(bytes)) {
    const rec = isPacked(bytes) ? readPackedRecord(bytes, bytes.length) : readKvRecord(bytes, bytes.length);
    if (rec) return rec;
  }
  return kv.get(key);
}

/** The record with its value decoded, null for a tombstone, undefined when never written. */
export function readStoredValue(kv: KvDb, key: string): PackedValue | null | undefined {
  const bytes = kv.getBinaryFast(key);
  if (bytes === undefined) return undefined;
  if (Buffer.isBuffer(bytes)) {
    if (isPacked(bytes)) {
      const packed = readPackedValue(bytes, bytes.length);
      if (packed !== undefined) return packed;
    } else {
      const rec = readKvRecord(bytes, bytes.length);
      if (rec) return parsed(rec);
    }
  }
  const rec = kv.get(key);
  return rec && parsed(rec);
}

function parsed(rec: KvRecord): PackedValue | null {
  return rec.j === null ? null : { value: JSON.parse(rec.j) as JsonValue, ver: rec.ver, exp: rec.exp };
}
