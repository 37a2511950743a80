/**
 * A network partition between one API node and Redis. That node runs inside a network
 * namespace joined to the host by a veth pair; the partition drops its packets to
 * Redis (a blackhole route), while the gateway can still reach it. Clients write,
 * compare-and-set and count through a standalone gateway in front of that node and one
 * on the host. The partitioned node's store calls time out (503, an unknown outcome),
 * its /readyz fails, and the gateway must take it out and retry GETs elsewhere; once
 * healed it must come back — and nothing acknowledged may be lost or overwritten.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/core/logging.js';
import { startWechatEmulator, type WechatEmulator } from '../../src/wechat-emulator/index.js';
import { TEST_ADMIN_KEY, TEST_APPID, TEST_SECRET } from '../support/api-nodes.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { closeAgent, type Target } from './lib/http-client.js';
import { ROUNDS, testTimeoutMs } from './lib/mode.js';
import { createNetns, listLinks, listNamespaces, type Netns } from './lib/netns.js';
import { formatTable, type Row } from './lib/report.js';
import { runScenario } from './lib/scenario.js';
import { startMiniscale, type Started } from './lib/standalone.js';

/** Longer than the store timeout (2 s) and two failed health checks (2 s apart). */
const PARTITION_MS = 6_000;
const NS_NODE_PORT = 3000;

let ns: Netns | undefined;
let redis: TestRedis | undefined;
let emulator: WechatEmulator | undefined;
const procs: Started[] = [];
const rows: Row[] = [];
after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await emulator?.close();
  await redis?.stop();
  ns?.remove();
  await closeAgent();
  if (rows.length) console.log(`\n${formatTable(rows)}\n`);
});

async function upstreamState(gateway: Target, url: string): Promise<string> {
  const res = await fetch(`${gateway.url}/_gateway/upstreams`);
  const body = (await res.json()) as { upstreams: { url: string; state: string }[] };
  return body.upstreams.find((u) => u.url === url)?.state ?? 'missing';
}

async function waitForState(gateway: Target, url: string, states: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!states.includes(await upstreamState(gateway, url))) {
    if (Date.now() > deadline) throw new Error(`${url} not ${states.join('/')} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('faults: partition between a node and Redis', { timeout: testTimeoutMs(20_000) }, () => {
  it('the partitioned node is routed around and comes back; nothing acknowledged is lost', async () => {
    ns = createNetns();
    redis = await startTestRedis({ config: { appendfsync: 'always', bind: `127.0.0.1 ${ns.redisIp}`, 'protected-mode': 'no' } });
    emulator = await startWechatEmulator({
      port: 0,
      host: ns.hostIp,
      appid: TEST_APPID,
      secret: TEST_SECRET,
      logger: createLogger({ component: 'wechat-emulator', level: 'warn' }),
    });
    const env = {
      MINISCALE_WECHAT_APPID: TEST_APPID,
      MINISCALE_WECHAT_SECRET: TEST_SECRET,
      MINISCALE_WECHAT_API: emulator.url,
      MINISCALE_ADMIN_KEY: TEST_ADMIN_KEY,
      MINISCALE_LOG_LEVEL: 'warn',
      MINISCALE_RATE_LIMIT_USER: '0',
      MINISCALE_RATE_LIMIT_IP: '0',
      MINISCALE_RATE_LIMIT_LOGIN: '0',
    };
    const inner = await startMiniscale(
      [
        'node',
        '--host',
        ns.innerIp,
        '--port',
        String(NS_NODE_PORT),
        '--store',
        'redis',
        '--store-url',
        `redis://${ns.redisIp}:${redis.port}`,
      ],
      env,
      ns.exec,
    );
    procs.push(inner);
    const outer = await startMiniscale(['node', '--port', '0', '--store', 'redis', '--store-url', redis.url], env);
    procs.push(outer);
    const gateway = await startMiniscale(
      ['gateway', '--host', '127.0.0.1', '--port', '0', '--no-access-log', '--upstream', inner.url, '--upstream', outer.url],
      env,
    );
    procs.push(gateway);
    const target: Target = { url: gateway.url };

    const { row } = await runScenario({
      name: 'redis, node partitioned from Redis',
      target,
      nemesis: async (h) => {
        for (let round = 0; round < ROUNDS; round++) {
          const fault = h.fault('partition', `node ${inner.url} cut from Redis for ${PARTITION_MS} ms`, false);
          ns!.partition();
          try {
            await sleep(PARTITION_MS);
          } finally {
            ns!.heal();
          }
          fault.end = h.now();
          await waitForState(target, inner.url, ['healthy', 'slow-start'], 30_000);
          fault.recoveredMs = h.now() - fault.start;
          await sleep(1_500);
        }
      },
      healthy: async () => {
        try {
          await waitForState(target, inner.url, ['healthy', 'slow-start'], 15_000);
          await waitForState(target, outer.url, ['healthy', 'slow-start'], 15_000);
          return [];
        } catch (err) {
          return [(err as Error).message];
        }
      },
    });
    rows.push(row);

    for (const p of procs.splice(0).reverse()) await p.stop();
    await redis.stop();
    ns.remove();
    assert.ok(!listNamespaces().includes(ns.name), `namespace ${ns.name} left behind`);
    assert.ok(!listLinks().some((l) => l.startsWith(ns!.hostIf)), `veth ${ns.hostIf} left behind`);
  });
});
