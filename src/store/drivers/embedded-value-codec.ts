/**
 * The structured form of a stored value: msgpack (plain maps, no record extension), which
 * msgpackr decodes faster than `JSON.parse` of the same value's text (measured by
 * bench/store/codec-candidates.mjs; v8.deserialize was 3–4× slower than JSON.parse on
 * small values, and lmdb-js's inline record definitions cost a reader rebuild per read).
 *
 * msgpack is exact for JSON values with two exceptions, which `packValue` refuses (the
 * caller then keeps only the JSON text): a key named `__proto__`, which msgpackr
 * renames on decode rather than let it set a prototype, and a string holding a lone
 * surrogate, which JSON escapes (`"\ud800"`) but UTF-8 cannot carry. Everything else —
 * key order, -0 (JSON text has none), integers past 2^32, floats as float64, unicode,
 * nesting up to the store's depth limit — decodes to what `JSON.parse` of the text gives.
 */
import { Packr } from 'msgpackr';
import type { JsonValue } from '../store.js';

/** With the `u` flag a surrogate range matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const packr = new Packr({ useRecords: false, moreTypes: false, useFloat32: 0, mapsAsObjects: true });

/** msgpack of `value` (a value as JSON.parse returns it), or null when msgpack would not round-trip it exactly. */
export function packValue(value: JsonValue): Buffer | null {
  return packsExactly(value) ? packr.pack(value) : null;
}

export function unpackValue(bytes: Uint8Array): JsonValue {
  return packr.unpack(bytes) as JsonValue;
}

function packsExactly(value: JsonValue): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(packsExactly);
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || LONE_SURROGATE.test(key) || !packsExactly(value[key]!)) return false;
  }
  return true;
}
