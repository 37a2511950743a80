/**
 * The store contract, as one suite every driver runs (as keyv's test-suite does).
 * Drivers do not copy these tests; they provide a fixture:
 *
 *   storeConformance('redis', async () => {
 *     const redis = await startTestRedis();
 *     return {
 *       config: { driver: 'redis', url: redis.url },
 *       outage: { begin: () => redis.stop(), end: () => redis.restart() },
 *       teardown: () => redis.stop(),
 *     };
 *   });
 *
 * Test names are sentences of the contract. Cross-process guarantees run real OS
 * processes (test/store/store-worker.ts) against the same backend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore, type JsonValue, type Store, type StoreConfig } from '../../src/store/index.js';
import { finished, killAll, spawnTs } from '../support/processes.js';
import type { WorkerJob } from './store-worker.js';

export interface StoreFixture {
  /** How any process (this one or a worker) opens the backend under test. */
  config: StoreConfig;
  /** Makes the backend unreachable or unresponsive, then brings it back. */
  outage: { begin(): Promise<void>; end(): Promise<void> };
  teardown(): Promise<void>;
}

const WORKERS = 4;
/**
 * Large-board tests write 100,000+ scores; on the embedded store an fsync per batch of
 * them would make the test about the disk. Ignored by drivers without the option.
 */
const LARGE_BOARD_OPTIONS = { durability: 'commit' } as Partial<StoreConfig>;

/** `count` calls, 256 in flight at a time, results in order. */
async function inBatches<T>(count: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  for (let start = 0; start < count; start += 256) {
    const end = Math.min(count, start + 256);
    const batch = await Promise.all(Array.from({ length: end - start }, (_, j) => call(start + j)));
    for (let j = 0; j < batch.length; j++) out[start + j] = batch[j]!;
  }
  return out;
}

export function storeConformance(name: string, setup: () => Promise<StoreFixture>): void {
  describe(`store conformance: ${name}`, { timeout: 180_000 }, () => {
    let fixture: StoreFixture;
    let store: Store;
    const opened: Store[] = [];
    let seq = 0;
    /** A key no other test uses, so tests never see each other's data. */
    const k = (label: string) => `t${process.pid}-${Date.now().toString(36)}-${seq++}:${label}`;
    const open = async (extra: Partial<StoreConfig> = {}) => {
      const s = await openStore({ ...fixture.config, ...extra } as StoreConfig);
      opened.push(s);
      return s;
    };

    before(async () => {
      fixture = await setup();
      store = await open();
    });
    after(async () => {
      killAll();
      for (const s of opened) await s.close().catch(() => {});
      await fixture?.teardown();
    });

    async function inWorkers(jobs: WorkerJob[]): Promise<unknown[]> {
      const runs = jobs.map((job) => finished(spawnTs('test/store/store-worker.ts', [JSON.stringify(job)]), 120_000));
      const results = await Promise.all(runs);
      return results.map((r) => {
        const line = r.stdout.trim().split('\n').pop() ?? '';
        const parsed = JSON.parse(line || '{}') as { ok: boolean; result?: unknown; error?: string };
        assert.ok(parsed.ok, `worker failed: ${parsed.error ?? r.stderr.slice(-1000)}`);
        return parsed.result;
      });
    }

    describe('values and versions', () => {
      it('get of a key never written returns null', async () => {
        assert.equal(await store.get(k('missing')), null);
      });

      it('set then get returns the same JSON value with its version and no expiry', async () => {
        const key = k('roundtrip');
        const value = { s: 'héllo 世界 🎉', n: -12.5, big: 2 ** 53 - 1, t: true, f: false, z: null, a: [1, [2, { x: 'y' }]], e: {} };
        const written = await store.set(key, value);
        assert.deepEqual(written.value, value);
        assert.equal(written.expiresAt, null);
        const read = await store.get(key);
        assert.deepEqual(read, { value, version: written.version, expiresAt: null });
      });

      it('getJson returns the value as the JSON text it was written as, with what get returns, and null when absent', async () => {
        const key = k('json');
        // An own "__proto__" (as JSON.parse makes it), an integer-like key, escapes, -0 and exponents.
        const value = JSON.parse('{"b":"é \\"q\\" \\u2028","a":[1.5,-0,1e21,null],"10":true,"__proto__":"own"}') as JsonValue;
        const written = await store.set(key, value, { ttlMs: 60_000 });
        const raw = await store.getJson(key);
        assert.deepEqual(raw, { json: JSON.stringify(written.value), version: written.version, expiresAt: written.expiresAt });
        assert.deepEqual(await store.get(key), { value: JSON.parse(raw.json), version: raw.version, expiresAt: raw.expiresAt });
        assert.equal(await store.getJson(k('json-missing')), null);
        await store.delete(key);
        assert.equal(await store.getJson(key), null, 'a deleted key');
      });

      it('get returns exactly what JSON.parse of the written text gives: own __proto__ keys, lone surrogates, key order, numbers, deep nesting', async () => {
        let deep = '"bottom"';
        for (let i = 0; i < 90; i++) deep = i % 2 ? `[${deep}]` : `{"d${i}":${deep}}`;
        const texts = [
          '{"__proto__":{"polluted":true},"a":{"__proto__":null,"b":[{"__proto__":1}]}}',
          '{"lone":"\\ud800 and \\udfff","pair":"😀","key\\ud83d":1,"mixed":["\\ud83d","ok"]}',
          '{"z":1,"10":2,"a":3,"2":4,"-1":5,"1.5":6,"":7}',
          '[0,-0,1e21,-1e-7,9007199254740991,9007199254740993,4294967296,-2147483649,0.1,1.7976931348623157e308,5e-324]',
          `{"deep":${deep}}`,
          '"just a string"',
          '12.5',
          'true',
          'null',
          '[]',
          '{}',
        ];
        for (const [i, text] of texts.entries()) {
          const key = k(`exact-${i}`);
          const value = JSON.parse(text) as JsonValue;
          await store.set(key, value);
          const expected = JSON.stringify(value);
          const read = await store.get(key);
          assert.equal(JSON.stringify(read?.value), expected, text.slice(0, 60));
          assert.deepEqual(read?.value, JSON.parse(expected));
          assert.equal((await store.getJson(key))?.json, expected);
          if (read?.value !== null && typeof read?.value === 'object' && Object.hasOwn(read.value, '__proto__')) {
            assert.equal(Object.getPrototypeOf(read.value), Object.prototype, 'an own __proto__ key, not a prototype');
          }
        }
        assert.equal(({} as { polluted?: boolean }).polluted, undefined);
      });

      it('getJsonNow answers what getJson does, at once, or undefined when the store must be awaited', async () => {
        const key = k('now');
        const written = await store.set(key, { n: 1 });
        const now = store.getJsonNow(key);
        if (now === undefined) {
          assert.equal(store.getJsonNow(k('now-missing')), undefined, 'undefined for every key, present or not');
          return;
        }
        assert.deepEqual(now, { json: '{"n":1}', version: written.version, expiresAt: null });
        assert.deepEqual(now, await store.getJson(key));
        assert.equal(store.getJsonNow(k('now-missing')), null);
        await store.delete(key);
        assert.equal(store.getJsonNow(key), null, 'a delete is seen by the very next read');
        assert.throws(() => store.getJsonNow('bad key'), { code: 'VALIDATION_FAILED' });
      });

      it('every write of a key gets a larger version', async () => {
        const key = k('versions');
        const a = await store.set(key, 1);
        const b = await store.set(key, 2);
        const c = await store.set(key, 3);
        assert.ok(a.version > 0 && b.version > a.version && c.version > b.version, `${a.version} ${b.version} ${c.version}`);
      });

      it('a key re-created after delete gets a version larger than any it had before', async () => {
        const key = k('aba');
        let last = 0;
        for (let i = 0; i < 5; i++) last = (await store.set(key, i)).version;
        await store.delete(key);
        assert.equal(await store.get(key), null);
        assert.equal(await store.delete(key), false, 'a deleted key is absent');
        await assert.rejects(store.set(key, 'x', { ifVersion: last }), { code: 'VERSION_CONFLICT' }, 'the old version no longer matches');
        const recreated = await store.set(key, 'again', { ifAbsent: true });
        assert.ok(recreated.version > last, `recreated ${recreated.version} <= old ${last}`);
      });

      it('set with ttlMs reports expiresAt and the key is gone after it', async () => {
        const key = k('ttl');
        const before = Date.now();
        const written = await store.set(key, 'soon gone', { ttlMs: 300 });
        assert.ok(written.expiresAt !== null && written.expiresAt >= before + 250 && written.expiresAt <= Date.now() + 400);
        assert.equal((await store.get(key))?.value, 'soon gone');
        await sleep(450);
        assert.equal(await store.get(key), null);
      });

      it('set without ttlMs removes an earlier expiry', async () => {
        const key = k('persist');
        await store.set(key, 1, { ttlMs: 200 });
        await store.set(key, 2);
        await sleep(300);
        assert.deepEqual((await store.get(key))?.value, 2);
        assert.equal((await store.get(key))?.expiresAt, null);
      });

      it('set with ifVersion succeeds when the version matches', async () => {
        const key = k('cas-ok');
        const first = await store.set(key, 'a');
        const second = await store.set(key, 'b', { ifVersion: first.version });
        assert.equal((await store.get(key))?.value, 'b');
        assert.ok(second.version > first.version);
      });

      it('set with ifVersion fails with VERSION_CONFLICT when the version moved, and changes nothing', async () => {
        const key = k('cas-moved');
        const first = await store.set(key, 'a');
        const second = await store.set(key, 'b');
        await assert.rejects(store.set(key, 'c', { ifVersion: first.version }), (err: { code?: string; currentVersion?: number }) => {
          assert.equal(err.code, 'VERSION_CONFLICT');
          assert.equal(err.currentVersion, second.version);
          return true;
        });
        assert.deepEqual(await store.get(key), { value: 'b', version: second.version, expiresAt: null });
      });

      it('set with ifVersion on an absent key fails with VERSION_CONFLICT', async () => {
        await assert.rejects(store.set(k('cas-absent'), 1, { ifVersion: 1 }), { code: 'VERSION_CONFLICT', currentVersion: null });
      });

      it('set with ifAbsent creates once and then fails with VERSION_CONFLICT', async () => {
        const key = k('create-only');
        await store.set(key, 'first', { ifAbsent: true });
        await assert.rejects(store.set(key, 'second', { ifAbsent: true }), { code: 'VERSION_CONFLICT' });
        assert.equal((await store.get(key))?.value, 'first');
      });

      it('set with ifAbsent succeeds over an expired entry', async () => {
        const key = k('create-after-expiry');
        await store.set(key, 'old', { ttlMs: 100 });
        await sleep(200);
        await store.set(key, 'new', { ifAbsent: true });
        assert.equal((await store.get(key))?.value, 'new');
      });

      it('delete returns true once and false when nothing is there', async () => {
        const key = k('delete');
        await store.set(key, 1);
        assert.equal(await store.delete(key), true);
        assert.equal(await store.get(key), null);
        assert.equal(await store.delete(key), false);
      });

      it('delete with ifVersion fails with VERSION_CONFLICT when the version moved, and keeps the value', async () => {
        const key = k('delete-cas');
        const first = await store.set(key, 1);
        await store.set(key, 2);
        await assert.rejects(store.delete(key, { ifVersion: first.version }), { code: 'VERSION_CONFLICT' });
        assert.equal((await store.get(key))?.value, 2);
        const current = await store.get(key);
        assert.equal(await store.delete(key, { ifVersion: current!.version }), true);
      });

      it('compare-and-set from several processes loses no update', async () => {
        const key = k('cas-race');
        const each = 40;
        const results = await inWorkers(
          Array.from({ length: WORKERS }, () => ({ op: 'cas-increment' as const, config: fixture.config, key, increments: each })),
        );
        assert.equal((await store.get(key))?.value, WORKERS * each);
        const conflicts = results.reduce<number>((sum, r) => sum + (r as { conflicts: number }).conflicts, 0);
        // Not asserted > 0 (scheduling may serialise the workers), but recorded for the log.
        console.log(`# ${name}: ${WORKERS}×${each} CAS increments, ${conflicts} conflicts retried`);
      });
    });

    describe('counters', () => {
      it('a counter never touched is 0', async () => {
        assert.equal(await store.counter(k('untouched')), 0);
      });

      it('incr adds its amount (default 1, negative allowed) and returns the new value', async () => {
        const key = k('incr');
        assert.equal(await store.incr(key), 1);
        assert.equal(await store.incr(key, 41), 42);
        assert.equal(await store.incr(key, -50), -8);
        assert.equal(await store.counter(key), -8);
      });

      it('incr past 2^53-1 fails with VALIDATION_FAILED and leaves the counter unchanged', async () => {
        const key = k('overflow');
        await store.incr(key, Number.MAX_SAFE_INTEGER - 1);
        await assert.rejects(store.incr(key, 2), { code: 'VALIDATION_FAILED' });
        assert.equal(await store.counter(key), Number.MAX_SAFE_INTEGER - 1);
      });

      it('incr from 4 processes × 500 calls (50 in flight each) gives the exact total', async () => {
        const key = k('incr-race');
        await inWorkers(
          Array.from({ length: WORKERS }, () => ({ op: 'incr' as const, config: fixture.config, key, calls: 500, concurrency: 50 })),
        );
        assert.equal(await store.counter(key), WORKERS * 500);
      });
    });

    describe('sorted scores', () => {
      it('best mode keeps the higher score and set mode overwrites', async () => {
        const board = k('board-modes');
        assert.equal((await store.zset(board, 'ann', 10)).score, 10);
        assert.equal((await store.zset(board, 'ann', 5)).score, 10);
        assert.equal((await store.zset(board, 'ann', 12, { mode: 'best' })).score, 12);
        assert.equal((await store.zset(board, 'ann', 3, { mode: 'set' })).score, 3);
        assert.equal(await store.zscore(board, 'ann'), 3);
      });

      it('ranks start at 1 with the highest score first and equal scores ordered by member', async () => {
        const board = k('board-order');
        const scores: Array<[string, number]> = [
          ['dan', 50],
          ['bob', 70],
          ['eve', -2.5],
          ['amy', 70],
          ['cat', 0],
          ['fay', 1e9],
          ['gus', 50.25],
        ];
        for (const [m, s] of scores) await store.zset(board, m, s);
        const top = await store.ztop(board, 10);
        assert.deepEqual(top, [
          { member: 'fay', score: 1e9, rank: 1 },
          { member: 'amy', score: 70, rank: 2 },
          { member: 'bob', score: 70, rank: 3 },
          { member: 'gus', score: 50.25, rank: 4 },
          { member: 'dan', score: 50, rank: 5 },
          { member: 'cat', score: 0, rank: 6 },
          { member: 'eve', score: -2.5, rank: 7 },
        ]);
        for (const entry of top) assert.equal(await store.zrank(board, entry.member), entry.rank);
        assert.deepEqual(
          (await store.ztop(board, 3)).map((e) => e.member),
          ['fay', 'amy', 'bob'],
        );
      });

      it('zset returns the member rank after the write', async () => {
        const board = k('board-rank');
        await store.zset(board, 'a', 10);
        await store.zset(board, 'b', 20);
        assert.deepEqual(await store.zset(board, 'c', 15), { member: 'c', score: 15, rank: 2 });
        assert.deepEqual(await store.zset(board, 'a', 30), { member: 'a', score: 30, rank: 1 });
      });

      it('zscore and zrank are null for a member without a score, ztop of an empty board is empty', async () => {
        const board = k('board-empty');
        assert.equal(await store.zscore(board, 'nobody'), null);
        assert.equal(await store.zrank(board, 'nobody'), null);
        assert.deepEqual(await store.ztop(board, 10), []);
      });

      it('boards whose names share a prefix do not mix', async () => {
        const board = k('board');
        await store.zset(board, 'x', 1);
        await store.zset(`${board}2`, 'y', 2);
        assert.deepEqual(
          (await store.ztop(board, 10)).map((e) => e.member),
          ['x'],
        );
      });
    });

    describe('large boards', () => {
      /** Highest score first, equal scores by member, byte-wise (members here are ASCII). */
      const byRank = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

      async function checkRanks(s: Store, board: string, scores: Map<string, number>): Promise<void> {
        const sorted = [...scores].sort(byRank);
        const ranks = await inBatches(sorted.length, (i) => s.zrank(board, sorted[i]![0]));
        const wrong = ranks.flatMap((rank, i) => (rank === i + 1 ? [] : [`${sorted[i]![0]}: ${rank}, expected ${i + 1}`]));
        assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${sorted.length} ranks wrong`);
        const top = await s.ztop(board, 1000);
        assert.deepEqual(
          top,
          sorted.slice(0, 1000).map(([member, score], i) => ({ member, score, rank: i + 1 })),
        );
      }

      it('ranks match a reference sort on a 100,000-member board after random updates', { timeout: 240_000 }, async () => {
        const s = await open(LARGE_BOARD_OPTIONS);
        const board = k('board-large');
        const scores = new Map<string, number>();
        // Scores from a small range, so that most members tie with others.
        await inBatches(100_000, (i) => {
          const score = Math.floor(Math.random() * 20_000);
          scores.set(`p${i}`, score);
          return s.zset(board, `p${i}`, score, { mode: 'set' });
        });
        await inBatches(20_000, () => {
          const member = `p${Math.floor(Math.random() * 100_000)}`;
          const score = Math.floor(Math.random() * 20_000);
          scores.set(member, score);
          return s.zset(board, member, score, { mode: 'set' });
        });
        // One at a time, the rank zset answers is the member's place at that moment.
        for (let i = 0; i < 200; i++) {
          const member = i % 2 ? `p${Math.floor(Math.random() * 100_000)}` : `new${i}`;
          const score = Math.floor(Math.random() * 20_000);
          const mode = i % 3 ? 'set' : 'best';
          const kept = mode === 'best' ? Math.max(scores.get(member) ?? -Infinity, score) : score;
          scores.set(member, kept);
          const expected = [...scores].filter(([m, sc]) => byRank([m, sc], [member, kept]) < 0).length + 1;
          assert.deepEqual(await s.zset(board, member, score, { mode }), { member, score: kept, rank: expected });
        }
        await checkRanks(s, board, scores);
      });

      it('ranks stay exact when 4 processes write one board at once', { timeout: 240_000 }, async () => {
        const board = k('board-shared');
        const members = 5_000;
        await inWorkers(
          Array.from({ length: WORKERS }, () => ({
            op: 'zset-random' as const,
            config: { ...fixture.config, ...LARGE_BOARD_OPTIONS } as StoreConfig,
            board,
            members,
            calls: 3_000,
            concurrency: 50,
          })),
        );
        const names = Array.from({ length: members }, (_, i) => `p${i}`);
        const found = await inBatches(members, (i) => store.zscore(board, names[i]!));
        const scores = new Map(names.flatMap((m, i) => (found[i] === null ? [] : [[m, found[i]!] as [string, number]])));
        assert.ok(scores.size > members / 2, `${scores.size} members scored`);
        await checkRanks(store, board, scores);
      });
    });

    describe('rate limits', () => {
      it('hit allows a burst of `limit`, then refuses with retryAfterMs', async () => {
        const key = k('limit');
        const results = [];
        for (let i = 0; i < 6; i++) results.push(await store.hit(key, 5, 60_000));
        assert.deepEqual(
          results.map((r) => r.allowed),
          [true, true, true, true, true, false],
        );
        assert.deepEqual(
          results.slice(0, 5).map((r) => r.remaining),
          [4, 3, 2, 1, 0],
        );
        const refused = results[5]!;
        // One request frees up every 60_000/5 = 12 s.
        assert.ok(refused.retryAfterMs > 11_000 && refused.retryAfterMs <= 12_000, `retryAfterMs ${refused.retryAfterMs}`);
      });

      it('hit allows again once retryAfterMs has passed', async () => {
        const key = k('limit-refill');
        assert.ok((await store.hit(key, 2, 400)).allowed);
        assert.ok((await store.hit(key, 2, 400)).allowed);
        const refused = await store.hit(key, 2, 400);
        assert.equal(refused.allowed, false);
        await sleep(refused.retryAfterMs + 30);
        assert.ok((await store.hit(key, 2, 400)).allowed);
      });

      it('hit from 4 processes × 100 concurrent calls allows exactly `limit`', async () => {
        const key = k('limit-race');
        // A one-hour window: nothing refills while the test runs, so exactly 100 may pass.
        const results = await inWorkers(
          Array.from({ length: WORKERS }, () => ({
            op: 'hit' as const,
            config: fixture.config,
            key,
            calls: 100,
            limit: 100,
            windowMs: 3_600_000,
          })),
        );
        const allowed = results.reduce<number>((sum, r) => sum + (r as { allowed: number }).allowed, 0);
        assert.equal(allowed, 100);
      });
    });

    describe('locks', () => {
      it('a held lock is refused to another owner, extended for its owner, released only by its owner', async () => {
        const name = k('lock');
        const a = await store.acquire(name, 'alice', 5_000);
        assert.ok(a && a.token > 0 && a.owner === 'alice');
        assert.equal(await store.acquire(name, 'bob', 5_000), null);
        const again = await store.acquire(name, 'alice', 10_000);
        assert.equal(again?.token, a.token);
        assert.ok(again.expiresAt > a.expiresAt);
        assert.equal(await store.release({ ...a, owner: 'bob' }), false);
        assert.equal(await store.release(a), true);
        const b = await store.acquire(name, 'bob', 5_000);
        assert.ok(b && b.token > a.token, 'fencing token must grow when the lock changes hands');
      });

      it('an expired lock can be taken by another owner with a larger token, and the old owner can no longer release it', async () => {
        const name = k('lock-expiry');
        const a = await store.acquire(name, 'alice', 150);
        assert.ok(a);
        await sleep(250);
        const b = await store.acquire(name, 'bob', 5_000);
        assert.ok(b && b.token > a.token);
        assert.equal(await store.release(a), false);
        assert.equal(await store.acquire(name, 'carol', 5_000), null);
      });

      it('a lock gives mutual exclusion across processes', async () => {
        const name = k('lock-race');
        const key = k('lock-guarded');
        const each = 15;
        await inWorkers(
          Array.from({ length: WORKERS }, () => ({
            op: 'locked-increment' as const,
            config: fixture.config,
            lock: name,
            key,
            sections: each,
          })),
        );
        assert.equal((await store.get(key))?.value, WORKERS * each);
      });
    });

    describe('node registry', () => {
      it('a registered node is listed with its info until it misses its heartbeats', async () => {
        const id = k('node');
        await store.register(id, { url: 'http://127.0.0.1:1234', draining: false }, 400);
        let mine = (await store.list()).find((n) => n.nodeId === id);
        assert.deepEqual(mine?.info, { url: 'http://127.0.0.1:1234', draining: false });
        await sleep(250);
        await store.register(id, { url: 'http://127.0.0.1:1234', draining: true }, 400); // heartbeat
        await sleep(250);
        mine = (await store.list()).find((n) => n.nodeId === id);
        assert.equal(mine?.info.draining, true, 'a heartbeat keeps the node and updates its info');
        await sleep(450);
        assert.equal(
          (await store.list()).find((n) => n.nodeId === id),
          undefined,
        );
      });

      it('deregister removes a node at once and list is ordered by nodeId', async () => {
        const a = k('node-a');
        const b = k('node-b');
        await store.register(b, { url: 'http://b' }, 10_000);
        await store.register(a, { url: 'http://a' }, 10_000);
        const ids = (await store.list()).map((n) => n.nodeId).filter((id) => id === a || id === b);
        assert.deepEqual(ids, [a, b]);
        await store.deregister(a);
        assert.equal(
          (await store.list()).some((n) => n.nodeId === a),
          false,
        );
        await store.deregister(b);
      });
    });

    describe('bad input', () => {
      it('bad keys fail with VALIDATION_FAILED', async () => {
        for (const bad of ['', 'has space', 'tab\tkey', 'x'.repeat(513), 'nul\0', 'é']) {
          await assert.rejects(store.set(bad, 1), { code: 'VALIDATION_FAILED' }, JSON.stringify(bad));
          await assert.rejects(store.get(bad), { code: 'VALIDATION_FAILED' });
        }
        await assert.rejects(store.incr(42 as unknown as string), { code: 'VALIDATION_FAILED' });
      });

      it('values that are not plain JSON or too large fail with VALIDATION_FAILED and store nothing', async () => {
        const key = k('bad-values');
        await store.set(key, 'kept');
        const bads: unknown[] = [NaN, Infinity, undefined, { f: () => 1 }, new Date(), 'x'.repeat(1024 * 1024 + 1)];
        let deep: unknown = 1;
        for (let i = 0; i < 200; i++) deep = [deep];
        bads.push(deep);
        for (const bad of bads) {
          await assert.rejects(store.set(key, bad as never), { code: 'VALIDATION_FAILED' });
        }
        assert.equal((await store.get(key))?.value, 'kept');
      });

      it('non-finite scores, bad counts and bad limits fail with VALIDATION_FAILED', async () => {
        await assert.rejects(store.zset(k('b'), 'm', NaN), { code: 'VALIDATION_FAILED' });
        await assert.rejects(store.zset(k('b'), 'm', Infinity), { code: 'VALIDATION_FAILED' });
        await assert.rejects(store.incr(k('c'), 1.5), { code: 'VALIDATION_FAILED' });
        await assert.rejects(store.ztop(k('b'), 0), { code: 'VALIDATION_FAILED' });
        await assert.rejects(store.hit(k('r'), 0, 1000), { code: 'VALIDATION_FAILED' });
        await assert.rejects(store.set(k('t'), 1, { ttlMs: -5 }), { code: 'VALIDATION_FAILED' });
      });
    });

    describe('backend failure', () => {
      it('an unreachable backend fails calls with STORE_UNAVAILABLE within the timeout, and the store recovers after', async () => {
        const timeoutMs = 500;
        const s = await open({ opTimeoutMs: timeoutMs });
        const key = k('outage');
        await s.set(key, 'before');
        await fixture.outage.begin();
        try {
          const started = Date.now();
          await assert.rejects(s.set(key, 'during'), { code: 'STORE_UNAVAILABLE' });
          const elapsed = Date.now() - started;
          assert.ok(elapsed <= timeoutMs + 300, `failed after ${elapsed} ms, timeout is ${timeoutMs} ms`);
        } finally {
          await fixture.outage.end();
        }
        const deadline = Date.now() + 15_000;
        for (;;) {
          try {
            await s.set(key, 'after');
            break;
          } catch (err) {
            if (Date.now() > deadline) throw err;
            await sleep(100);
          }
        }
        assert.equal((await s.get(key))?.value, 'after');
      });
    });
  });
}
