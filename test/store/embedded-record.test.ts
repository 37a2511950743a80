import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { open, type Database, type RootDatabase } from 'lmdb';
import { readKvRecord, type KvRecord } from '../../src/store/drivers/embedded-record.js';

/**
 * The hand reader against lmdb-js's own msgpack decoding, on values written by lmdb-js
 * exactly as the embedded driver writes them (a `kv` database with default options).
 */
describe('embedded kv record reader', () => {
  let dir: string;
  let root: RootDatabase;
  let kv: Database<unknown, string>;
  let n = 0;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-record-'));
    root = open({ path: dir, maxDbs: 4 });
    kv = root.openDB('kv', {});
  });
  after(async () => {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `value`, then reads it back both ways: [by hand, by lmdb-js]. */
  function roundTrip(value: unknown): [KvRecord | undefined, unknown] {
    const key = `k${n++}`;
    kv.putSync(key, value);
    const bytes = kv.getBinary(key)!;
    return [readKvRecord(bytes, bytes.length), kv.get(key)];
  }

  it('reads every record the driver writes as lmdb-js decodes it', () => {
    const json = fc.oneof(
      fc.json(),
      fc.string({ unit: 'binary', maxLength: 300 }).map((s) => JSON.stringify(s)),
    );
    const version = fc.oneof(fc.nat(), fc.integer({ min: 1_700_000_000_000, max: 4_000_000_000_000 }), fc.maxSafeNat());
    fc.assert(
      fc.property(fc.option(json), version, fc.oneof(fc.constant(0), version), (j, ver, exp) => {
        const [byHand, byLmdb] = roundTrip({ j, ver, exp });
        assert.deepEqual(byHand, byLmdb);
        assert.deepEqual(byHand, { j, ver, exp });
      }),
      { numRuns: 500 },
    );
  });

  it('reads values of every string size class (fixstr, str8, str16, str32)', () => {
    for (const size of [0, 31, 32, 255, 256, 65_535, 65_536, 300_000]) {
      const j = JSON.stringify('é'.repeat(size >> 1) + 'x'.repeat(size & 1));
      const [byHand, byLmdb] = roundTrip({ j, ver: 1, exp: 0 });
      assert.deepEqual(byHand, byLmdb, `size ${size}`);
    }
  });

  it('declines any other layout, so the caller decodes it the generic way', () => {
    for (const other of [
      'a string',
      42,
      null,
      { ver: 1, j: '1', exp: 0 },
      { j: '1', ver: 1 },
      { j: '1', ver: 1, exp: 0, extra: true },
      { j: 1, ver: 1, exp: 0 },
      { j: '1', ver: -1, exp: 0 },
      { j: '1', ver: 1.5, exp: 0 },
      { j: '1', ver: 2n ** 63n, exp: 0 },
    ]) {
      const [byHand] = roundTrip(other);
      if (byHand !== undefined)
        assert.deepEqual(byHand, roundTrip(other)[1], `${JSON.stringify(other, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
    assert.deepEqual(roundTrip({ j: '"v"', ver: 7, exp: 0 })[0], { j: '"v"', ver: 7, exp: 0 });
    const bytes = kv.getBinary(`k${n - 1}`)!;
    assert.equal(readKvRecord(Buffer.concat([bytes, Buffer.from([0])]), bytes.length + 1), undefined, 'trailing bytes');
    for (let cut = 0; cut < bytes.length; cut++) assert.equal(readKvRecord(bytes.subarray(0, cut), cut), undefined, `cut to ${cut} bytes`);
  });
});
