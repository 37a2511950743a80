/**
 * The option that closes the loss the redis-cluster fault run measures:
 * MINISCALE_STORE_WAIT_REPLICAS makes data writes wait for replicas (Redis WAIT) on the
 * connection that made them. Checked here on the pieces: the slot function that finds
 * that connection in a cluster, the setting's parsing, and the behaviour on a real
 * primary with and without a replica.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openStore, resolveStoreConfig, type Store } from '../../src/store/index.js';
import { keySlot } from '../../src/store/drivers/redis-slot.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const servers: TestRedis[] = [];
const stores: Store[] = [];
after(async () => {
  for (const s of stores) await s.close();
  for (const s of servers.reverse()) await s.stop();
});

describe('replication wait (MINISCALE_STORE_WAIT_REPLICAS)', () => {
  it('computes hash slots as Redis Cluster does, hash tags included', () => {
    // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
    assert.equal(keySlot('123456789'), 0x31c3 % 16_384);
    assert.equal(keySlot('foo'), 12_182);
    assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
    assert.equal(keySlot('ms:kv:{u:abc}:kv:x'), keySlot('u:abc'));
    // An empty first tag means no tag: the whole key is hashed, not "bar".
    assert.notEqual(keySlot('foo{}{bar}'), keySlot('bar'));
    assert.equal(keySlot('foo{bar}{zap}'), keySlot('bar'));
  });

  it('is read from the environment for the redis drivers only, and checked', () => {
    const flags = { store: 'redis-cluster', storeUrl: 'redis://127.0.0.1:7000' };
    assert.deepEqual(resolveStoreConfig(flags, {}), { driver: 'redis-cluster', url: 'redis://127.0.0.1:7000' });
    assert.deepEqual(resolveStoreConfig(flags, { MINISCALE_STORE_WAIT_REPLICAS: '1' }), {
      driver: 'redis-cluster',
      url: 'redis://127.0.0.1:7000',
      waitReplicas: 1,
      waitTimeoutMs: 500,
    });
    assert.deepEqual(resolveStoreConfig(flags, { MINISCALE_STORE_WAIT_REPLICAS: '2', MINISCALE_STORE_WAIT_TIMEOUT_MS: '250' }), {
      driver: 'redis-cluster',
      url: 'redis://127.0.0.1:7000',
      waitReplicas: 2,
      waitTimeoutMs: 250,
    });
    for (const env of [
      { MINISCALE_STORE_WAIT_REPLICAS: 'one' },
      { MINISCALE_STORE_WAIT_REPLICAS: '1', MINISCALE_STORE_WAIT_TIMEOUT_MS: '5000' },
    ]) {
      assert.throws(() => resolveStoreConfig(flags, env), { code: 'CONFIG_INVALID' });
    }
    assert.throws(() => resolveStoreConfig({ store: 'embedded', data: '/tmp/x' }, { MINISCALE_STORE_WAIT_REPLICAS: '1' }), {
      code: 'CONFIG_INVALID',
    });
  });

  it('refuses to acknowledge a write no replica has (STORE_UNAVAILABLE), and acknowledges it once a replica follows', async () => {
    const primary = await startTestRedis();
    servers.push(primary);
    const store = await openStore({ driver: 'redis', url: primary.url, waitReplicas: 1, waitTimeoutMs: 200 });
    stores.push(store);
    const t0 = Date.now();
    await assert.rejects(store.set('{w}:k', 1), { code: 'STORE_UNAVAILABLE' });
    await assert.rejects(store.incr('{w}:n'), { code: 'STORE_UNAVAILABLE' });
    assert.ok(Date.now() - t0 < 1_500, `waited ${Date.now() - t0} ms for two writes with a 200 ms wait`);
    // Coordination state never waits: rate limits keep working without replicas.
    assert.equal((await store.hit('{w}:rl', 10, 60_000)).allowed, true);

    const replica = await startTestRedis({ config: { replicaof: `127.0.0.1 ${primary.port}` } });
    servers.push(replica);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await store.set('{w}:k', 2);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal((await store.get('{w}:k'))?.value, 2);
    assert.equal(await store.incr('{w}:n'), 2, 'the refused incr was applied on the primary: refused means unknown, not undone');
  });
});
