/**
 * The packed kv record (store format 2) on its own: every JSON value comes back as the
 * text it was written as and as the value JSON.parse gives, whichever of msgpack or the
 * text carries it; anything that is not a whole packed record is declined.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { packRecord, packTombstone, readPackedRecord, readPackedValue } from '../../src/store/drivers/embedded-packed-record.js';
import type { JsonValue } from '../../src/store/store.js';

const version = fc.oneof(fc.nat(), fc.integer({ min: 1_700_000_000_000, max: 4_000_000_000_000 }), fc.maxSafeNat());

describe('packed kv record', () => {
  it('round-trips any JSON value as its text and as what JSON.parse gives', () => {
    const text = fc.oneof(
      fc.json(),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => JSON.stringify({ [s]: s, __proto__x: [s] })),
    );
    fc.assert(
      fc.property(text, version, fc.oneof(fc.constant(0), version), (t, ver, exp) => {
        const value = JSON.parse(t) as JsonValue;
        const json = JSON.stringify(value);
        const bytes = packRecord(json, value, ver, exp);
        assert.deepEqual(readPackedRecord(bytes, bytes.length), { j: json, ver, exp });
        const read = readPackedValue(bytes, bytes.length)!;
        assert.equal(JSON.stringify(read.value), json);
        assert.deepEqual(read.value, JSON.parse(json));
        assert.deepEqual([read.ver, read.exp], [ver, exp]);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an own __proto__ key and lone surrogates exact (they travel as text)', () => {
    const json = '{"__proto__":{"x":1},"s":"\\ud800","a":[{"__proto__":null}]}';
    const value = JSON.parse(json) as JsonValue;
    const bytes = packRecord(JSON.stringify(value), value, 5, 0);
    const read = readPackedValue(bytes, bytes.length)!.value as Record<string, unknown>;
    assert.equal(JSON.stringify(read), JSON.stringify(value));
    assert.equal(Object.getPrototypeOf(read), Object.prototype);
    assert.ok(Object.hasOwn(read, '__proto__'));
  });

  it('a tombstone reads as null, with its version and expiry', () => {
    const bytes = packTombstone(42, 1_800_000_000_000);
    assert.deepEqual(readPackedRecord(bytes, bytes.length), { j: null, ver: 42, exp: 1_800_000_000_000 });
    assert.equal(readPackedValue(bytes, bytes.length), null);
  });

  it('declines truncated records and other layouts', () => {
    const bytes = packRecord('{"a":"bcd"}', { a: 'bcd' }, 1, 0);
    for (const length of [0, 1, 10, 22, 23 + 5]) {
      assert.equal(readPackedRecord(bytes, length), undefined, `length ${length}`);
      assert.equal(readPackedValue(bytes, length), undefined, `length ${length}`);
    }
    const otherMarker = Buffer.from(bytes);
    otherMarker[0] = 0xd4;
    assert.equal(readPackedRecord(otherMarker, otherMarker.length), undefined);
    const otherKind = Buffer.from(bytes);
    otherKind[2] = 9;
    assert.equal(readPackedValue(otherKind, otherKind.length), undefined);
  });
});
