/**
 * A write that timed out in a partition must not be applied when the partition heals.
 * Its caller was told STORE_UNAVAILABLE ("maybe applied") and may since have written a
 * newer value through a node that can reach Redis; a stale write arriving seconds later
 * (TCP retransmitting what the kernel still held) would silently overwrite that
 * acknowledged write. Found with the partition of the fault suite; the redis driver now
 * resets a connection on which a write timed out (src/store/drivers/redis.ts).
 *
 * The client runs in its own network namespace (a veth pair to the host); the partition
 * is a blackhole route there. The newer write is made from the host, as another node would.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore, type Store } from '../../src/store/index.js';
import { REPO_ROOT } from '../support/processes.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { createNetns, listNamespaces, type Netns } from './lib/netns.js';

/** Past several TCP retransmission timeouts (0.2 s doubling): a queued write would have arrived. */
const AFTER_HEAL_MS = 7_000;

let ns: Netns | undefined;
let redis: TestRedis | undefined;
let store: Store | undefined;
after(async () => {
  await store?.close();
  await redis?.stop();
  ns?.remove();
});

describe('a write that timed out in a partition', { timeout: 60_000 }, () => {
  it('is not applied after the partition heals, over a newer acknowledged write', async () => {
    ns = createNetns();
    redis = await startTestRedis({ config: { bind: `127.0.0.1 ${ns.redisIp}`, 'protected-mode': 'no' } });
    store = await openStore({ driver: 'redis', url: redis.url });
    const worker = spawn(
      ns.exec[0]!,
      [
        ...ns.exec.slice(1),
        process.execPath,
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'test/faults/lib/late-write-worker.ts'),
        `redis://${ns.redisIp}:${redis.port}`,
      ],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    try {
      const lines = createInterface({ input: worker.stdout })[Symbol.asyncIterator]();
      const next = async () => String((await lines.next()).value);
      assert.equal(await next(), 'ready');

      ns.partition();
      worker.stdin.write('write\n');
      const setOutcome = await next();
      const incrOutcome = await next();
      assert.equal(setOutcome, 'set STORE_UNAVAILABLE');
      assert.equal(incrOutcome, 'incr STORE_UNAVAILABLE');
      // Another node, with a working network, writes the newer value and is acknowledged.
      await store.set('{late}:k', 'newer');
      ns.heal();
      await sleep(AFTER_HEAL_MS);

      assert.equal(
        (await store.get('{late}:k'))?.value,
        'newer',
        'the timed-out write was applied after the heal, over a newer acknowledged one',
      );
      assert.equal(await store.counter('{late}:n'), 0, 'the timed-out increment was applied after the heal');
      worker.stdin.write('quit\n');
    } finally {
      setTimeout(() => worker.kill('SIGKILL'), 5_000).unref();
      await exited;
      ns.remove();
    }
    assert.ok(!listNamespaces().includes(ns.name), `namespace ${ns.name} left behind`);
  });
});
