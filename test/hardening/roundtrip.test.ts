/**
 * Property: any JSON value a client PUTs to /v1/me/kv/:key comes back from GET exactly
 * (same text once re-serialised: same strings to the code unit, same numbers, same keys
 * in the same order), on every store driver, written through one node and read through
 * another. And at the documented limits: 64 KiB as JSON and 64 levels are accepted, one
 * byte or one level more is refused with a stable code and leaves the stored value alone.
 *
 * Real processes throughout: two API nodes per driver, a real redis-server, a real
 * 3-primary Redis Cluster. Fixed seeds: fast-check prints the seed and path of any
 * failure, and HARDENING_SEED reproduces a run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { killAll } from '../support/processes.js';
import { startTestCluster, startTestRedis, type TestCluster, type TestRedis } from '../support/redis.js';
import { call, login, startApiTopology, type ApiTopology } from '../support/api-nodes.js';
import { assertClientError } from './helpers.js';
import { jsonValue, valueOfDepth, valueOfJsonBytes } from './generators.js';

const MAX_VALUE_BYTES = 64 * 1024;
const MAX_DEPTH = 64;
const SEED = Number(process.env.HARDENING_SEED ?? 20261125);
const NO_LIMITS = { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0', MINISCALE_RATE_LIMIT_LOGIN: '0' };

/** PUT as the raw JSON text a client would send, so the comparison is against exactly those bytes. */
async function put(base: string, token: string, key: string, value: unknown) {
  return call<{ value: unknown; version: number }>(base, 'PUT', `/v1/me/kv/${key}`, {
    token,
    body: JSON.stringify({ value }),
    headers: { 'content-type': 'application/json' },
  });
}

/** What the client meant: the value as the server can see it after parsing the wire text. */
function wire(value: unknown): string {
  return JSON.stringify(JSON.parse(JSON.stringify({ value })).value);
}

function roundTripSuite(driver: string, start: () => Promise<{ topo: ApiTopology; cleanup: () => Promise<void> }>): void {
  describe(`${driver}: JSON values round-trip through PUT/GET /v1/me/kv/:key`, { timeout: 240_000 }, () => {
    let topo: ApiTopology;
    let cleanup: () => Promise<void> = async () => {};
    let a: string;
    let b: string;
    let token: string;
    before(async () => {
      ({ topo, cleanup } = await start());
      [a, b] = topo.nodes.map((n) => n.url) as [string, string];
      token = (await login(a, `roundtrip-${driver}`)).token;
    });
    after(async () => {
      await cleanup();
      killAll();
    });

    it('any JSON value (Unicode, lone surrogates, __proto__ keys, extreme numbers) comes back exactly, on another node', async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(jsonValue, fc.integer({ min: 0, max: 7 }), async (value, slot) => {
          runs++;
          const key = `rt-${slot}`;
          const expected = wire(value);
          const written = await put(a, token, key, value);
          assert.equal(written.status, 200, written.text.slice(0, 300));
          assert.equal(JSON.stringify(written.body.value), expected, 'PUT echoes the value');
          const read = await call<{ value: unknown; version: number }>(b, 'GET', `/v1/me/kv/${key}`, { token });
          assert.equal(read.status, 200, read.text.slice(0, 300));
          assert.equal(JSON.stringify(read.body.value), expected, 'GET on the other node returns it exactly');
          assert.equal(read.body.version, written.body.version);
        }),
        { numRuns: 300, seed: SEED },
      );
      assert.equal(runs >= 300, true);
    });

    it('values of exactly 64 KiB as JSON are stored exactly; one byte more is 413 PAYLOAD_TOO_LARGE and changes nothing', async () => {
      const keep = await put(a, token, 'size', 'before');
      assert.equal(keep.status, 200);
      let current = wire('before');
      const seen = { accepted: 0, refused: 0 };
      const sizes = fc.integer({ min: MAX_VALUE_BYTES - 40, max: MAX_VALUE_BYTES + 40 });
      const chars = fc.array(fc.nat(), { minLength: 0, maxLength: 20_000 });
      await fc.assert(
        fc.asyncProperty(
          sizes,
          chars,
          fc.constantFrom<'string' | 'object' | 'array'>('string', 'object', 'array'),
          async (bytes, cs, wrap) => {
            const value = valueOfJsonBytes(bytes, cs, wrap);
            fc.pre(value !== null);
            assert.equal(Buffer.byteLength(JSON.stringify(value)), bytes, 'the generator made the size it promised');
            const res = await put(a, token, 'size', value);
            if (bytes <= MAX_VALUE_BYTES) {
              assert.equal(res.status, 200, `${bytes} bytes: ${res.text.slice(0, 200)}`);
              current = wire(value);
              seen.accepted++;
            } else {
              assertClientError(res, `${bytes} bytes`, { status: 413, code: 'PAYLOAD_TOO_LARGE' });
              seen.refused++;
            }
            const read = await call<{ value: unknown }>(b, 'GET', '/v1/me/kv/size', { token });
            assert.equal(JSON.stringify(read.body.value), current, 'the stored value is the last accepted one');
          },
        ),
        { numRuns: 60, seed: SEED },
      );
      // Both sides of the limit were exercised (a generator stuck on one side proves nothing).
      assert.ok(seen.accepted > 5 && seen.refused > 5, JSON.stringify(seen));
      // And the boundary itself, whatever the random sizes were.
      assert.equal((await put(a, token, 'size', 'x'.repeat(MAX_VALUE_BYTES - 2))).status, 200);
      assertClientError(await put(a, token, 'size', 'x'.repeat(MAX_VALUE_BYTES - 1)), '64 KiB + 1', {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      });
    });

    it('values nested 64 levels deep are stored exactly; 65 or more is 400 VALIDATION_FAILED and changes nothing', async () => {
      assert.equal((await put(a, token, 'depth', 'before')).status, 200);
      let current = wire('before');
      const seen = { accepted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: MAX_DEPTH - 3, max: MAX_DEPTH + 3 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          fc.oneof(fc.constantFrom(null, 0, 'leaf', true), fc.string({ unit: 'binary', maxLength: 5 })),
          async (levels, kinds, leaf) => {
            const value = valueOfDepth(levels, kinds, leaf);
            const res = await put(a, token, 'depth', value);
            if (levels <= MAX_DEPTH) {
              assert.equal(res.status, 200, `${levels} levels: ${res.text.slice(0, 200)}`);
              current = wire(value);
              seen.accepted++;
            } else {
              assertClientError(res, `${levels} levels`, { status: 400, code: 'VALIDATION_FAILED' });
              seen.refused++;
            }
            const read = await call<{ value: unknown }>(b, 'GET', '/v1/me/kv/depth', { token });
            assert.equal(JSON.stringify(read.body.value), current);
          },
        ),
        { numRuns: 40, seed: SEED },
      );
      assert.ok(seen.accepted > 5 && seen.refused > 5, JSON.stringify(seen));
    });
  });
}

roundTripSuite('embedded', async () => {
  const topo = await startApiTopology({ nodes: 2, env: NO_LIMITS });
  return { topo, cleanup: () => topo.stop() };
});

roundTripSuite('redis', async () => {
  const redis: TestRedis = await startTestRedis();
  try {
    const topo = await startApiTopology({ nodes: 2, env: NO_LIMITS, storeArgs: ['--store', 'redis', '--store-url', redis.url] });
    return {
      topo,
      cleanup: async () => {
        await topo.stop();
        await redis.stop();
      },
    };
  } catch (err) {
    await redis.stop();
    throw err;
  }
});

roundTripSuite('redis-cluster', async () => {
  const cluster: TestCluster = await startTestCluster();
  try {
    const topo = await startApiTopology({
      nodes: 2,
      env: NO_LIMITS,
      storeArgs: ['--store', 'redis-cluster', '--store-url', cluster.seedUrl],
    });
    return {
      topo,
      cleanup: async () => {
        await topo.stop();
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
});
