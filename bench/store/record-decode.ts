/**
 * Decoding one stored kv record into a value, per layout: format 1 (msgpack `{ j, ver,
 * exp }` read by hand, then JSON.parse of the text) against format 2 (packed record,
 * msgpack of the value). Interleaved rounds, so machine noise hits both alike.
 *
 *   node --import tsx bench/store/record-decode.ts [flat|nested]
 *
 * flat: the ~100-byte values of bench:store; nested: ~700 bytes, 20 small objects.
 */
import { Packr } from 'msgpackr';
import { packRecord, readPackedValue } from '../../src/store/drivers/embedded-packed-record.js';
import { readKvRecord } from '../../src/store/drivers/embedded-record.js';
import type { JsonValue } from '../../src/store/store.js';
import { makeValue } from './workload.js';

const shape = process.argv[2] === 'nested' ? 'nested' : 'flat';
const nested = (i: number): JsonValue => ({
  id: i,
  a: [1.5, -2, 1e21, null, true],
  b: { c: { d: { e: 'é 世界 🎉' } } },
  arr: Array.from({ length: 20 }, (_, j) => ({ i: j, s: `s${j}`, n: j * 1.25 })),
});
const values = Array.from({ length: 1000 }, (_, i) => (shape === 'nested' ? nested(i) : makeValue(i)));
// lmdb-js writes format-1 records with msgpackr records (the definition inline).
const format1Packr = new Packr({ useRecords: true });
const format1 = values.map((v) => format1Packr.pack({ j: JSON.stringify(v), ver: 1_733_356_800_001, exp: 0 }));
const format2 = values.map((v) => packRecord(JSON.stringify(v), v, 1_733_356_800_001, 0));

const ROUNDS = 5;
const REPEAT = 300;
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  let t = process.hrtime.bigint();
  for (let n = 0; n < REPEAT; n++) {
    for (const bytes of format1) sink += JSON.parse(readKvRecord(bytes, bytes.length)!.j!) === null ? 1 : 0;
  }
  const a = Number(process.hrtime.bigint() - t) / (REPEAT * values.length);
  t = process.hrtime.bigint();
  for (let n = 0; n < REPEAT; n++) {
    for (const bytes of format2) sink += readPackedValue(bytes, bytes.length)!.value === null ? 1 : 0;
  }
  const b = Number(process.hrtime.bigint() - t) / (REPEAT * values.length);
  console.log(`${shape}: format 1 (text + JSON.parse) ${a.toFixed(0)} ns, format 2 (msgpack) ${b.toFixed(0)} ns per record`);
}
if (sink !== 0) console.log('unexpected empty values');
