/**
 * Embedded-only guarantees that the shared suite cannot express: acknowledged writes
 * survive SIGKILL of every process using the directory, and expired entries leave
 * the disk without anyone reading them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { open as openLmdb } from 'lmdb';
import { openStore, type StoreConfig } from '../../src/store/index.js';
import { killAll, spawnTs } from '../support/processes.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-durability-'));
  dirs.push(dir);
  return dir;
}

after(() => {
  killAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('embedded store durability', { timeout: 120_000 }, () => {
  for (const durability of ['flush', 'commit'] as const) {
    it(`every write acknowledged before SIGKILL of all writer processes is there after restart (durability: ${durability})`, async () => {
      const dir = tempDir();
      const config: StoreConfig = { driver: 'embedded', dir, durability };
      const writers = [0, 1, 2].map((w) => {
        const child = spawnTs('test/store/store-worker.ts', [JSON.stringify({ op: 'acked-writes', config, prefix: `w${w}`, count: 1_000_000 })]);
        const acked: number[] = [];
        let buffer = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
        });
        return { w, child, acked };
      });
      // Let every writer get well into its stream, then kill them all mid-write. Under a
      // loaded disk fsyncs slow down, so the kill comes after 200 acks or 20 s, whichever first.
      const deadline = Date.now() + 20_000;
      while (writers.some((x) => x.acked.length < 200) && Date.now() < deadline) await sleep(20);
      for (const x of writers) x.child.kill('SIGKILL');
      await Promise.all(writers.map((x) => new Promise((r) => x.child.exitCode !== null || x.child.signalCode ? r(null) : x.child.once('exit', r))));

      const store = await openStore(config);
      try {
        let lost = 0;
        let total = 0;
        for (const x of writers) {
          assert.ok(x.acked.length >= 10, `writer ${x.w} acknowledged only ${x.acked.length} writes`);
          for (const i of x.acked) {
            total++;
            const entry = await store.get(`w${x.w}:${i}`);
            if ((entry?.value as { i?: number } | undefined)?.i !== i) lost++;
          }
        }
        console.log(`# durability ${durability}: ${total} acknowledged writes before SIGKILL, ${lost} missing after restart`);
        assert.equal(lost, 0);
      } finally {
        await store.close();
      }
    });
  }

  it('expired entries are swept from disk in the background without being read', async () => {
    const dir = tempDir();
    const store = await openStore({ driver: 'embedded', dir, sweepIntervalMs: 100 });
    try {
      await store.set('long', 'stays', { ttlMs: 60_000 });
      await store.set('forever', 'stays');
      // Written together (one batch), so all 50 are on disk before any of them is due.
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`short:${i}`, i, { ttlMs: 1_000 })));
      const raw = openLmdb({ path: dir, maxDbs: 16, overlappingSync: false, mapSize: 64 * 1024 ** 3 });
      const kv = raw.openDB('kv', {});
      assert.equal(kv.getKeysCount(), 52);
      const deadline = Date.now() + 5_000;
      while (kv.getKeysCount() > 2 && Date.now() < deadline) await sleep(50);
      assert.deepEqual([...kv.getKeys()].sort(), ['forever', 'long']);
      await raw.close();
    } finally {
      await store.close();
    }
  });
});
