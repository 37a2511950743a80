import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import Fastify from 'fastify';
import { entryJson } from '../../src/api/kv-resource.js';
import { KvEntry } from '../../src/api/schemas.js';

/**
 * A GET writes its body by hand from the stored JSON text; it must be the bytes the
 * route's response schema serializer writes for the parsed value, as it did before.
 */
describe('kv read response', () => {
  it('is byte for byte what the KvEntry serializer writes for the parsed value', async () => {
    const app = Fastify();
    let next: { key: string; value: unknown; version: number; expiresAt: string | null } | undefined;
    app.get('/', { schema: { response: { 200: KvEntry } } }, async () => next);
    await app.ready();
    const key = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);
    // What the store holds is always JSON.stringify output (validation.ts encodeJson).
    const json = fc.oneof(
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary' }).map((s) => JSON.stringify(s)),
    );
    const expiresAt = fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }));
    await fc.assert(
      fc.asyncProperty(key, json, fc.maxSafeNat(), expiresAt, async (k, j, version, exp) => {
        next = { key: k, value: JSON.parse(j), version, expiresAt: exp === null ? null : new Date(exp).toISOString() };
        const served = await app.inject('/');
        assert.equal(entryJson(k, { json: j, version, expiresAt: exp }), served.body);
        assert.equal(served.headers['content-type'], 'application/json; charset=utf-8');
      }),
      { numRuns: 300 },
    );
    await app.close();
  });
});
