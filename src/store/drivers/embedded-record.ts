/**
 * The embedded driver's kv record, `{ j, ver, exp }`, read straight from the bytes LMDB
 * holds. lmdb-js stores it as msgpackr writes it: a record whose definition (the list
 * of its keys) travels inline in every value, since the environment keeps no shared
 * structures. Decoding that generically rebuilds a record reader on every read — about
 * 0.8 µs, two thirds of an embedded read (bench/api profile). The bytes of this one
 * record shape are fixed enough to read by hand in ~0.1 µs:
 *
 *   d4 72 ID                  msgpackr record definition (fixext1, type 'r', id 0x40–0x7f)
 *   93 a1 "j" a3 "ver" a3 "exp"   its keys, in this order
 *   <j> <ver> <exp>           nil or a string; two numbers
 *
 * Anything else — another layout, number or string encoding, or trailing bytes — is
 * `undefined`, and the caller decodes it the generic way. This is store format 1's
 * layout, which every version reads; format 2's packed layout is embedded-packed-record.ts
 * (embedded-kv-read.ts picks the reader).
 */

/**
 * A kv record: the JSON text (parsed on read), its version and expiry (0 = none).
 * `j: null` is a tombstone: absent, but it remembers the last version.
 */
export interface KvRecord {
  j: string | null;
  ver: number;
  exp: number;
}

/** After `d4 72 ID`: the record's keys as msgpack, an array of "j", "ver", "exp". */
const KEYS = Buffer.from([0x93, 0xa1, 0x6a, 0xa3, 0x76, 0x65, 0x72, 0xa3, 0x65, 0x78, 0x70]);
const HEADER_BYTES = 3 + KEYS.length;

/** Where the reader is in the value; one read runs at a time (a synchronous call). */
let at = 0;

/** The record in `bytes[0, length)`, or undefined when it is not in the layout above. */
export function readKvRecord(bytes: Buffer, length: number): KvRecord | undefined {
  if (length < HEADER_BYTES + 3 || bytes[0] !== 0xd4 || bytes[1] !== 0x72 || (bytes[2]! & 0xc0) !== 0x40) return undefined;
  for (let i = 0; i < KEYS.length; i++) if (bytes[3 + i] !== KEYS[i]) return undefined;
  at = HEADER_BYTES;
  const j = readStringOrNil(bytes, length);
  if (j === undefined) return undefined;
  const ver = readNumber(bytes, length);
  if (ver === undefined) return undefined;
  const exp = readNumber(bytes, length);
  if (exp === undefined || at !== length) return undefined;
  return { j, ver, exp };
}

function readStringOrNil(bytes: Buffer, length: number): string | null | undefined {
  const b = bytes[at]!;
  if (b === 0xc0) {
    at += 1;
    return null;
  }
  let head: number;
  if ((b & 0xe0) === 0xa0) head = 1;
  else if (b === 0xd9) head = 2;
  else if (b === 0xda) head = 3;
  else if (b === 0xdb) head = 5;
  else return undefined;
  if (at + head > length) return undefined;
  const size =
    head === 1 ? b & 0x1f : head === 2 ? bytes[at + 1]! : head === 3 ? (bytes[at + 1]! << 8) | bytes[at + 2]! : bytes.readUInt32BE(at + 1);
  const start = at + head;
  if (start + size > length) return undefined;
  at = start + size;
  return bytes.toString('utf8', start, at);
}

/** Versions and expiries: non-negative integers, as msgpackr writes them (small ints, uint8/16/32, float64). */
function readNumber(bytes: Buffer, length: number): number | undefined {
  if (at >= length) return undefined;
  const b = bytes[at]!;
  const size = b < 0x80 ? 1 : b === 0xcc ? 2 : b === 0xcd ? 3 : b === 0xce ? 5 : b === 0xcb ? 9 : 0;
  if (size === 0 || at + size > length) return undefined;
  const value =
    size === 1
      ? b
      : size === 2
        ? bytes[at + 1]!
        : size === 3
          ? (bytes[at + 1]! << 8) | bytes[at + 2]!
          : size === 5
            ? bytes.readUInt32BE(at + 1)
            : bytes.readDoubleBE(at + 1);
  at += size;
  return value;
}
