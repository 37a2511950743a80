/**
 * The embedded driver's kv record in the packed layout (store format 2), written raw
 * (no msgpack wrapper around the record itself):
 *
 *   c1                 marker: a byte msgpack never uses, so no format-1 record starts with it
 *   02                 layout version
 *   KIND               0 tombstone, 1 text + msgpack, 2 text only (msgpack not exact for it)
 *   ver   float64 LE
 *   exp   float64 LE   0 = no expiry
 *   n     uint32 LE    bytes of JSON text
 *   text  n bytes      the value as JSON text (what getJson answers, as it was written)
 *   pack  the rest     msgpack of the value (kind 1): what get decodes instead of parsing text
 *
 * Both forms are kept: an HTTP read answers the text as it is, and a typed `get` decodes
 * the msgpack; either alone would make the other path re-encode on every read.
 */
import type { JsonValue } from '../store.js';
import type { KvRecord } from './embedded-record.js';
import { packValue, unpackValue } from './embedded-value-codec.js';

export const PACKED_MARKER = 0xc1;
const LAYOUT = 2;
const TOMBSTONE = 0;
const TEXT_AND_PACK = 1;
const TEXT_ONLY = 2;
const HEADER_BYTES = 23;

export interface PackedValue {
  value: JsonValue;
  ver: number;
  exp: number;
}

export function isPacked(bytes: Uint8Array): boolean {
  return bytes[0] === PACKED_MARKER;
}

/** The record for a value; `value` is JSON.parse(json). */
export function packRecord(json: string, value: JsonValue, ver: number, exp: number): Buffer {
  const pack = packValue(value);
  const textBytes = Buffer.byteLength(json);
  const out = Buffer.allocUnsafe(HEADER_BYTES + textBytes + (pack?.length ?? 0));
  writeHeader(out, pack ? TEXT_AND_PACK : TEXT_ONLY, ver, exp, textBytes);
  out.write(json, HEADER_BYTES, 'utf8');
  pack?.copy(out, HEADER_BYTES + textBytes);
  return out;
}

export function packTombstone(ver: number, exp: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES);
  writeHeader(out, TOMBSTONE, ver, exp, 0);
  return out;
}

/** The record with its value as JSON text (`j: null` for a tombstone), or undefined when not in this layout. */
export function readPackedRecord(bytes: Buffer, length: number): KvRecord | undefined {
  if (!validHeader(bytes, length)) return undefined;
  const kind = bytes[2]!;
  const text = kind === TOMBSTONE ? null : bytes.toString('utf8', HEADER_BYTES, HEADER_BYTES + bytes.readUInt32LE(19));
  return { j: text, ver: bytes.readDoubleLE(3), exp: bytes.readDoubleLE(11) };
}

/** The record with its value decoded (null for a tombstone), or undefined when not in this layout. */
export function readPackedValue(bytes: Buffer, length: number): PackedValue | null | undefined {
  if (!validHeader(bytes, length)) return undefined;
  const kind = bytes[2]!;
  if (kind === TOMBSTONE) return null;
  const textEnd = HEADER_BYTES + bytes.readUInt32LE(19);
  const value =
    kind === TEXT_AND_PACK
      ? unpackValue(bytes.subarray(textEnd, length))
      : (JSON.parse(bytes.toString('utf8', HEADER_BYTES, textEnd)) as JsonValue);
  return { value, ver: bytes.readDoubleLE(3), exp: bytes.readDoubleLE(11) };
}

function writeHeader(out: Buffer, kind: number, ver: number, exp: number, textBytes: number): void {
  out[0] = PACKED_MARKER;
  out[1] = LAYOUT;
  out[2] = kind;
  out.writeDoubleLE(ver, 3);
  out.writeDoubleLE(exp, 11);
  out.writeUInt32LE(textBytes, 19);
}

function validHeader(bytes: Buffer, length: number): boolean {
  return (
    length >= HEADER_BYTES &&
    bytes[0] === PACKED_MARKER &&
    bytes[1] === LAYOUT &&
    bytes[2]! <= TEXT_ONLY &&
    HEADER_BYTES + bytes.readUInt32LE(19) <= length
  );
}
