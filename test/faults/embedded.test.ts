/**
 * Faults against `miniscale up` on the embedded (LMDB) store: random API nodes
 * SIGKILLed, one SIGSTOPped past the gateway's health timeout, and the whole process
 * tree SIGKILLed and started again on the same data directory — while clients write,
 * compare-and-set and count through the gateway. Embedded writes are fsynced before
 * they are acknowledged, so nothing acknowledged may be lost.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir, type TempDir } from '../support/redis.js';
import { killAllUp } from '../support/up.js';
import { nodesBack } from './lib/checks.js';
import { closeAgent } from './lib/http-client.js';
import { ROUNDS, testTimeoutMs } from './lib/mode.js';
import { killAndRestartUp, killRandomNode, pauseRandomNode } from './lib/nemesis.js';
import { formatTable } from './lib/report.js';
import { runScenario } from './lib/scenario.js';
import { UpSystem } from './lib/up-system.js';

const NODES = 2;
/** Past the gateway's health timeout (1 s) and its two-failed-checks rule (2 s interval). */
const PAUSE_MS = 4_000;

const dirs: TempDir[] = [];
after(async () => {
  killAllUp();
  await closeAgent();
  for (const d of dirs) d.cleanup();
});

describe('faults: embedded store', { timeout: testTimeoutMs(25_000) }, () => {
  it('loses no acknowledged write through node kills, a paused node and a SIGKILL of the whole tree', async () => {
    const dir = tempDir('miniscale-faults-embedded-');
    dirs.push(dir);
    const sys = new UpSystem(dir.path, ['--nodes', String(NODES)]);
    await sys.start();
    try {
      const { row } = await runScenario({
        name: 'embedded',
        target: sys.target,
        nemesis: async (h) => {
          for (let round = 0; round < ROUNDS; round++) {
            await killRandomNode(h, sys);
            await sleep(1_000);
            await pauseRandomNode(h, sys, PAUSE_MS);
            await sleep(1_000);
            await killAndRestartUp(h, sys);
            await sleep(1_000);
          }
        },
        healthy: () => nodesBack(sys, NODES),
      });
      console.log(`\n${formatTable([row])}\n`);
    } finally {
      const problems = await sys.stop();
      assert.deepEqual(problems, [], 'up stops cleanly and leaves no process behind');
    }
  });
});
