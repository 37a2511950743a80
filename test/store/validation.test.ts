import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkName, encodeJson } from '../../src/store/validation.js';

describe('store argument validation', () => {
  it('accepts printable ASCII names up to 512 characters, hash tags included', () => {
    assert.equal(checkName('key', '{u:oAbC-123}:kv:profile.v2'), '{u:oAbC-123}:kv:profile.v2');
    assert.equal(checkName('key', 'x'.repeat(512)).length, 512);
  });

  it('refuses empty, too long, non-ASCII, whitespace and non-string names', () => {
    for (const bad of ['', 'x'.repeat(513), 'ü', 'a b', 'a\nb', 7, null]) {
      assert.throws(() => checkName('key', bad), { code: 'VALIDATION_FAILED' });
    }
  });

  it('encodes plain JSON and refuses what JSON.stringify would silently change', () => {
    assert.equal(encodeJson({ a: [1, 'b', null, true] }, 100, 10), '{"a":[1,"b",null,true]}');
    assert.equal(encodeJson(Object.assign(Object.create(null), { x: 1 }), 100, 10), '{"x":1}');
    for (const bad of [NaN, -Infinity, undefined, [undefined], { d: new Date(0) }, new Map(), 10n, Symbol('s')]) {
      assert.throws(() => encodeJson(bad, 1000, 10), { code: 'VALIDATION_FAILED' });
    }
  });

  it('counts size in UTF-8 bytes and depth in levels', () => {
    assert.throws(() => encodeJson('é'.repeat(5), 11, 10), { code: 'VALIDATION_FAILED' }); // 12 bytes with quotes
    assert.equal(encodeJson('é'.repeat(4), 11, 10), '"éééé"');
    assert.equal(encodeJson([[1]], 100, 2), '[[1]]');
    assert.equal(encodeJson({ a: [{}] }, 100, 3), '{"a":[{}]}');
    assert.throws(() => encodeJson([[[]]], 100, 2), { code: 'VALIDATION_FAILED' });
    assert.throws(() => encodeJson({ a: [{}] }, 100, 2), { code: 'VALIDATION_FAILED' });
  });
});
