/**
 * The `redis` driver on the shared conformance suite, plus what only the Redis drivers
 * (one implementation for `redis` and `redis-cluster`) promise beyond it:
 * - at-most-once delivery: a command whose reply was lost is never sent again;
 * - start-up fails with STORE_UNAVAILABLE, bounded, when nothing answers;
 * - a bad URL is a CONFIG_INVALID at start-up.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/core/ports.js';
import { openRedisDriver, type RedisConnectOptions } from '../../src/store/drivers/redis.js';
import { GuardedStore } from '../../src/store/guarded-store.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RedisStoreConfig } from '../../src/store/config.js';
import { startTestCluster, startTestRedis, type TestRedis } from '../support/redis.js';
import { storeConformance } from './conformance.js';

storeConformance('redis', async () => {
  const redis: TestRedis = await startTestRedis();
  return {
    config: { driver: 'redis', url: redis.url },
    // A crashed Redis: connections refused until it is back on the same port and data.
    outage: {
      begin: () => redis.server.stop(5_000),
      end: () => redis.restart(),
    },
    teardown: () => redis.stop(),
  };
});

/**
 * A TCP proxy in front of one Redis port that can stop passing replies and then cut
 * every connection: the command reached Redis and ran, but its client never hears so.
 */
class ReplyDroppingProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #dropReplies = false;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  static async start(targetPort: number): Promise<{ proxy: ReplyDroppingProxy; port: number }> {
    const port = await freePort();
    const proxy = new ReplyDroppingProxy(net.createServer((client) => proxy.#pipe(client, targetPort)));
    await new Promise<void>((resolve) => proxy.#server.listen(port, '127.0.0.1', resolve));
    return { proxy, port };
  }

  dropReplies(): void {
    this.#dropReplies = true;
  }

  /** Closes every proxied connection and passes replies again for new ones. */
  cutConnections(): void {
    for (const s of this.#sockets) s.destroy();
    this.#dropReplies = false;
  }

  async close(): Promise<void> {
    this.cutConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(client: net.Socket, targetPort: number): void {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('error', () => {}); // the other side closing is what this proxy is for
      s.on('close', () => {
        this.#sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!this.#dropReplies) client.write(d);
    });
  }
}

/** Opens the driver through proxies; returns the store as callers get it. */
async function openThrough(config: RedisStoreConfig, connect: RedisConnectOptions = {}): Promise<Store> {
  return new GuardedStore(await openRedisDriver(config, connect), config);
}

/**
 * An INCR whose reply is lost: ioredis's defaults would re-send it after reconnecting
 * and report one increment while two were applied. It must fail as STORE_UNAVAILABLE
 * ("maybe applied") and be applied at most once.
 */
async function assertReplyLossIsAtMostOnce(store: Store, proxies: ReplyDroppingProxy[], key: string): Promise<void> {
  assert.equal(await store.incr(key), 1);
  for (const p of proxies) p.dropReplies();
  const lost = store.incr(key);
  await sleep(200); // the command reaches Redis and runs; its reply goes nowhere
  for (const p of proxies) p.cutConnections();
  await assert.rejects(lost, { code: 'STORE_UNAVAILABLE' });
  await sleep(500); // time for a re-send after the reconnect, if there were one
  assert.equal(await eventually(() => store.counter(key)), 2, 'the lost command ran exactly once: never re-sent');
}

/** The first result of `call` that does not throw, retrying for up to 10 s (a reconnect). */
async function eventually<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

describe('redis drivers: delivery is at most once', { timeout: 120_000 }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('redis: a command whose reply was lost fails with STORE_UNAVAILABLE and is not sent again', async () => {
    const redis = await startTestRedis();
    cleanups.push(() => redis.stop());
    const { proxy, port } = await ReplyDroppingProxy.start(redis.port);
    cleanups.push(() => proxy.close());
    const store = await openThrough({ driver: 'redis', url: `redis://127.0.0.1:${port}` });
    cleanups.push(() => store.close());
    await assertReplyLossIsAtMostOnce(store, [proxy], 'amo:{u:x}:c');
  });

  it('redis-cluster: a command whose reply was lost fails with STORE_UNAVAILABLE and is not sent again', async () => {
    const cluster = await startTestCluster();
    cleanups.push(() => cluster.stop());
    // Every node behind its own proxy; the cluster's node addresses are mapped to them.
    const natMap: Record<string, { host: string; port: number }> = {};
    const proxies: ReplyDroppingProxy[] = [];
    for (const node of cluster.cluster.nodes) {
      const { proxy, port } = await ReplyDroppingProxy.start(node.port);
      cleanups.push(() => proxy.close());
      proxies.push(proxy);
      natMap[`127.0.0.1:${node.port}`] = { host: '127.0.0.1', port };
    }
    const seed = natMap[`127.0.0.1:${new URL(cluster.seedUrl).port}`]!;
    const store = await openThrough({ driver: 'redis-cluster', url: `redis://127.0.0.1:${seed.port}` }, { natMap });
    cleanups.push(() => store.close());
    await assertReplyLossIsAtMostOnce(store, proxies, 'amo:{u:x}:c');
  });
});

describe('redis drivers: start-up', () => {
  it('fails with STORE_UNAVAILABLE, within its ready timeout, when nothing listens', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(
      openRedisDriver({ driver: 'redis', url: `redis://127.0.0.1:${port}` }, { readyTimeoutMs: 500 }),
      (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'STORE_UNAVAILABLE');
        assert.match(err.message ?? '', /ECONNREFUSED/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 2_000);
  });

  it('refuses a URL that is not redis:// with CONFIG_INVALID', async () => {
    await assert.rejects(openStore({ driver: 'redis', url: 'http://127.0.0.1:6379' }), { code: 'CONFIG_INVALID' });
    await assert.rejects(openStore({ driver: 'redis', url: 'redis://a:1,redis://b:2' }), { code: 'CONFIG_INVALID' });
    await assert.rejects(openStore({ driver: 'redis-cluster', url: 'not a url' }), { code: 'CONFIG_INVALID' });
  });

  it("refuses a key prefix with braces (it would become every key's cluster hash tag)", async () => {
    await assert.rejects(openStore({ driver: 'redis', url: 'redis://127.0.0.1:1', prefix: 'ms{x}:' }), { code: 'VALIDATION_FAILED' });
  });
});
