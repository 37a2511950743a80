/**
 * Faults against `miniscale up --store redis-cluster` on a real local 3+3 cluster:
 * API nodes SIGKILLed and a primary SIGKILLed so its replica takes over (then started
 * again to rejoin as a replica), while clients write, compare-and-set and count through
 * the gateway.
 *
 * Replication is asynchronous, so a primary can die with writes it acknowledged that
 * its replica never got. On loopback a replica is microseconds behind, so a plain
 * SIGKILL rarely shows it; the "lagging replica" fault pauses the replica first, as a
 * busy network would, and then it does. Two settings, same faults:
 *   default                          — loss is allowed by Redis Cluster's contract: counted, not failed
 *   MINISCALE_STORE_WAIT_REPLICAS=1  — writes wait for a replica (WAIT): no acknowledged write may be lost
 * Everything else (phantoms, counters above acked + unknown, GET availability, every
 * node back) is held to the same bar as every store.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestCluster, tempDir, type TempDir, type TestCluster } from '../support/redis.js';
import { killAllUp } from '../support/up.js';
import { clusterWhole } from './lib/cluster-checks.js';
import { nodesBack } from './lib/checks.js';
import { closeAgent } from './lib/http-client.js';
import { ROUNDS, testTimeoutMs } from './lib/mode.js';
import { killRandomNode } from './lib/nemesis.js';
import { killPrimary } from './lib/nemesis-redis.js';
import { formatTable, type Row } from './lib/report.js';
import { runScenario } from './lib/scenario.js';
import { UpSystem } from './lib/up-system.js';

const NODES = 2;
const NODE_TIMEOUT_MS = 2_000;
const LAG_MS = 1_500;

const dirs: TempDir[] = [];
let cluster: TestCluster | undefined;
const rows: Row[] = [];
after(async () => {
  killAllUp();
  await cluster?.stop();
  await closeAgent();
  for (const d of dirs) d.cleanup();
  if (rows.length) console.log(`\n${formatTable(rows)}\n`);
});

const SETTINGS: { name: string; env: Record<string, string>; allowedLoss: number }[] = [
  { name: 'redis-cluster (async replication)', env: {}, allowedLoss: Infinity },
  { name: 'redis-cluster WAIT_REPLICAS=1', env: { MINISCALE_STORE_WAIT_REPLICAS: '1' }, allowedLoss: 0 },
];

describe('faults: redis-cluster store', { timeout: testTimeoutMs(80_000, 200_000) }, () => {
  for (const setting of SETTINGS) {
    it(`${setting.name}: a primary SIGKILLed while its replica lags (chaos: also plain primary and node kills)`, async () => {
      cluster ??= await startTestCluster({ nodeTimeoutMs: NODE_TIMEOUT_MS });
      const c = cluster;
      const dir = tempDir('miniscale-faults-cluster-');
      dirs.push(dir);
      const sys = new UpSystem(dir.path, ['--nodes', String(NODES), '--store', 'redis-cluster', '--store-url', c.seedUrl], setting.env);
      await sys.start();
      try {
        let openids: string[] = [];
        const { row } = await runScenario({
          name: setting.name,
          target: sys.target,
          onStart: (wl) => {
            openids = wl.openids;
          },
          nemesis: async (h) => {
            for (let round = 0; round < ROUNDS; round++) {
              await killPrimary(h, c, openids, NODE_TIMEOUT_MS, { lagReplicaMs: LAG_MS });
              await sleep(1_000);
              // Node kills and plain primary kills: in longer runs only (CI time; node
              // kills are the same on every store and run in the other files).
              if (ROUNDS > 1) {
                await killPrimary(h, c, openids, NODE_TIMEOUT_MS);
                await sleep(1_000);
                await killRandomNode(h, sys);
                await sleep(1_000);
              }
            }
          },
          healthy: async () => [...(await nodesBack(sys, NODES)), ...(await clusterWhole(c))],
          allowedLoss: setting.allowedLoss,
        });
        rows.push(row);
      } finally {
        const problems = await sys.stop();
        assert.deepEqual(problems, [], 'up stops cleanly and leaves no process behind');
      }
    });
  }
});
