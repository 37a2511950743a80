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
import { openStore, type StoreConfig } from '../../src/store/index.js';
import { spawn } from 'node:child_process';
import { finished, killAll, REPO_ROOT, spawnTs } from '../support/processes.js';

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
        const child = spawnTs('test/store/store-worker.ts', [
          JSON.stringify({ op: 'acked-writes', config, prefix: `w${w}`, count: 1_000_000 }),
        ]);
        const acked: number[] = [];
        const other: string[] = [];
        let buffer = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) {
            if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
            else other.push(line);
          }
        });
        child.stderr!.on('data', (chunk: Buffer) => other.push(chunk.toString().trim()));
        return { w, child, acked, other };
      });
      // Let every writer get well into its stream, then kill them all mid-write. Under a
      // loaded disk fsyncs slow down, so the kill comes after 200 acks or 20 s, whichever first.
      const deadline = Date.now() + 20_000;
      while (writers.some((x) => x.acked.length < 200) && Date.now() < deadline) await sleep(20);
      for (const x of writers) x.child.kill('SIGKILL');
      await Promise.all(
        writers.map((x) => new Promise((r) => (x.child.exitCode !== null || x.child.signalCode ? r(null) : x.child.once('exit', r)))),
      );

      const store = await openStore(config);
      try {
        const lost: string[] = [];
        let total = 0;
        for (const x of writers) {
          const timeouts = x.other.filter((l) => l.startsWith('timeout ')).length;
          assert.ok(
            x.acked.length >= 10,
            `writer ${x.w} acknowledged only ${x.acked.length} writes (${timeouts} timed out); it said: ${x.other
              .filter((l) => !l.startsWith('timeout '))
              .slice(-3)
              .join(' | ')}`,
          );
          for (const i of x.acked) {
            total++;
            const entry = await store.get(`w${x.w}:${i}`);
            if ((entry?.value as { i?: number } | undefined)?.i !== i) lost.push(`w${x.w}:${i} (of ${x.acked.length} acked)`);
          }
        }
        console.log(`# durability ${durability}: ${total} acknowledged writes before SIGKILL, ${lost.length} missing after restart`);
        assert.deepEqual(lost, [], 'acknowledged writes missing after restart');
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
      // Written together, so all 50 are on disk well before any of them is due (5 s; listing them takes a process start).
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`short:${i}`, i, { ttlMs: 5_000 })));
      // Plain node, not tsx: a listing must take well under the 5 s TTL even on a loaded box.
      const keysOnDisk = async () => {
        const child = spawn(process.execPath, [path.join(REPO_ROOT, 'test/store/list-kv-keys.mjs'), dir], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        return JSON.parse((await finished(child, 30_000)).stdout) as string[];
      };
      assert.equal((await keysOnDisk()).length, 52);
      const deadline = Date.now() + 15_000;
      let keys = await keysOnDisk();
      while (keys.length > 2 && Date.now() < deadline) keys = await keysOnDisk();
      assert.deepEqual(keys, ['forever', 'long']);
    } finally {
      await store.close();
    }
  });
});
