/**
 * Several embedded stores on one directory in one process share one LMDB environment
 * (src/store/drivers/embedded-env.ts). LMDB's locks belong to the process, so two
 * environments on one directory break each other: closing one freed the other's reader
 * slots, and its next read failed with EINVAL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { finished, spawnTs } from '../support/processes.js';

describe('embedded stores sharing a directory in one process', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-embedded-env-'));
  const open = (): Promise<Store> => openStore({ driver: 'embedded', dir, sweepIntervalMs: 50 });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('closing one store leaves the others reading and writing', async () => {
    const a = await open();
    await a.set('k', 'a');
    const b = await open();
    await b.set('k2', 'b');
    // Reads renew their snapshot on the next event turn: give them turns between the steps.
    await sleep(5);
    await b.close();
    await sleep(5);
    assert.equal((await a.get('k'))?.value, 'a');
    assert.equal((await a.get('k2'))?.value, 'b');
    await a.set('k', 'a2');
    assert.equal((await a.get('k'))?.value, 'a2');
    await a.close();
  });

  it('a directory closed by its last store opens again, with its data', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    await a.set('again', 1);
    await Promise.all([a.close(), b.close()]);
    const c = await open();
    assert.equal((await c.get('again'))?.value, 1);
    await c.close();
  });

  it('a store closed twice gives up its share once', async () => {
    const a = await open();
    const b = await open();
    await b.close();
    await b.close();
    await sleep(5);
    assert.equal(await a.incr('n', 1), 1);
    await a.close();
  });

  it('another process opening and closing the directory meanwhile breaks nothing', async () => {
    const a = await open();
    const b = await open();
    await a.set('shared', 'x');
    // LMDB clears the reader slots of processes whose lock it cannot see when it opens.
    const peer = spawnTs('test/store/store-worker.ts', [
      JSON.stringify({ op: 'incr', config: { driver: 'embedded', dir }, key: 'by-peer', calls: 1, concurrency: 1 }),
    ]);
    const r = await finished(peer, 30_000);
    assert.equal(r.code, 0, r.stderr);
    await b.close();
    await sleep(5);
    assert.equal((await a.get('shared'))?.value, 'x');
    assert.equal(await a.counter('by-peer'), 1);
    await a.close();
  });
});
