/**
 * Faults against `miniscale up --store redis`: API nodes SIGKILLed, and the
 * redis-server itself SIGKILLed and restarted on its data, while clients write,
 * compare-and-set and count through the gateway — once with `appendfsync always`
 * (acknowledged = on disk) and once with `everysec` (Redis's default with AOF).
 *
 * A SIGKILL ends the redis-server process but not the machine: what Redis had
 * written to its AOF is in the kernel's page cache and survives either way, so both
 * settings must lose nothing here. What `everysec` can lose (the last second, on a
 * power cut or kernel crash) cannot be produced by killing a process; docs/guarantees.md
 * says so rather than pretending this measures it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestRedis, tempDir, type TempDir, type TestRedis } from '../support/redis.js';
import { killAllUp } from '../support/up.js';
import { nodesBack } from './lib/checks.js';
import { closeAgent } from './lib/http-client.js';
import { ROUNDS, testTimeoutMs } from './lib/mode.js';
import { killRandomNode } from './lib/nemesis.js';
import { killAndRestartRedis } from './lib/nemesis-redis.js';
import { formatTable, type Row } from './lib/report.js';
import { runScenario } from './lib/scenario.js';
import { UpSystem } from './lib/up-system.js';

const NODES = 2;
const REDIS_DOWN_MS = 1_000;

const dirs: TempDir[] = [];
const servers: TestRedis[] = [];
const rows: Row[] = [];
after(async () => {
  killAllUp();
  for (const s of servers) await s.stop();
  await closeAgent();
  for (const d of dirs) d.cleanup();
  if (rows.length) console.log(`\n${formatTable(rows)}\n`);
});

describe('faults: redis store', { timeout: testTimeoutMs(30_000, 150_000) }, () => {
  for (const appendfsync of ['always', 'everysec'] as const) {
    it(`appendfsync ${appendfsync}: loses no acknowledged write through a redis-server SIGKILL (chaos: and node kills)`, async () => {
      const redis = await startTestRedis({ config: { appendfsync } });
      servers.push(redis);
      const dir = tempDir('miniscale-faults-redis-');
      dirs.push(dir);
      const sys = new UpSystem(dir.path, ['--nodes', String(NODES), '--store', 'redis', '--store-url', redis.url]);
      await sys.start();
      try {
        const { row } = await runScenario({
          name: `redis appendfsync ${appendfsync}`,
          target: sys.target,
          nemesis: async (h) => {
            for (let round = 0; round < ROUNDS; round++) {
              await killAndRestartRedis(h, redis, REDIS_DOWN_MS);
              await sleep(1_000);
              // Node kills are the same on every store and run in CI in embedded.test.ts;
              // here in longer runs only.
              if (ROUNDS > 1) {
                await killRandomNode(h, sys);
                await sleep(1_000);
              }
            }
          },
          healthy: () => nodesBack(sys, NODES),
        });
        rows.push(row);
      } finally {
        const problems = await sys.stop();
        assert.deepEqual(problems, [], 'up stops cleanly and leaves no process behind');
      }
    });
  }
});
