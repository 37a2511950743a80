/**
 * Faults against `miniscale up --store redis-cluster` on a real local 3+3 cluster:
 * API nodes SIGKILLed and a primary SIGKILLed so its replica takes over (then started
 * again to rejoin as a replica), while clients write, compare-and-set and count through
 * the gateway. Replication is asynchronous, so Redis Cluster may lose writes a dying
 * primary acknowledged; the run counts them (the table's "lost" column) and fails only
 * above a small bound. Everything else — phantoms, counters above acked + unknown,
 * GET availability, recovery — is held to the same bar as every store.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestCluster, tempDir, type TempDir, type TestCluster } from '../support/redis.js';
import { killAllUp } from '../support/up.js';
import { nodesBack } from './lib/checks.js';
import { closeAgent } from './lib/http-client.js';
import { ROUNDS, testTimeoutMs } from './lib/mode.js';
import { killRandomNode } from './lib/nemesis.js';
import { killPrimary } from './lib/nemesis-redis.js';
import { formatTable, type Row } from './lib/report.js';
import { runScenario } from './lib/scenario.js';
import { UpSystem } from './lib/up-system.js';
import { clusterWhole } from './lib/cluster-checks.js';

const NODES = 2;
const NODE_TIMEOUT_MS = 2_000;
/** Async replication may lose what a dying primary acknowledged; a few per failover at most. */
const ALLOWED_LOSS_PER_FAILOVER = 5;

const dirs: TempDir[] = [];
const clusters: TestCluster[] = [];
const rows: Row[] = [];
after(async () => {
  killAllUp();
  for (const c of clusters) await c.stop();
  await closeAgent();
  for (const d of dirs) d.cleanup();
  if (rows.length) console.log(`\n${formatTable(rows)}\n`);
});

describe('faults: redis-cluster store', { timeout: testTimeoutMs(40_000, 150_000) }, () => {
  it('survives a primary SIGKILL and node kills; losses stay within the async-replication bound', async () => {
    const cluster = await startTestCluster({ nodeTimeoutMs: NODE_TIMEOUT_MS });
    clusters.push(cluster);
    const dir = tempDir('miniscale-faults-cluster-');
    dirs.push(dir);
    const sys = new UpSystem(dir.path, ['--nodes', String(NODES), '--store', 'redis-cluster', '--store-url', cluster.seedUrl]);
    await sys.start();
    try {
      let openids: string[] = [];
      const { row } = await runScenario({
        name: 'redis-cluster',
        target: sys.target,
        onStart: (wl) => { openids = wl.openids; },
        nemesis: async (h) => {
          for (let round = 0; round < ROUNDS; round++) {
            await killPrimary(h, cluster, openids, NODE_TIMEOUT_MS);
            await sleep(1_000);
            await killRandomNode(h, sys);
            await sleep(1_000);
          }
        },
        healthy: async () => [...await nodesBack(sys, NODES), ...await clusterWhole(cluster)],
        allowedLoss: ALLOWED_LOSS_PER_FAILOVER * ROUNDS,
      });
      rows.push(row);
    } finally {
      const problems = await sys.stop();
      assert.deepEqual(problems, [], 'up stops cleanly and leaves no process behind');
    }
  });
});
