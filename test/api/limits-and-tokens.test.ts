/**
 * Guarantees that span nodes: rate limits are exact across all of them, the WeChat
 * access_token is fetched by one node at a time and refreshed once, and a node drains
 * gracefully on SIGTERM.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/index.js';
import type { EmulatorStats } from '../../src/wechat-emulator/index.js';
import { killAll } from '../support/processes.js';
import { call, login, startApiTopology, TEST_ADMIN_KEY, type ApiTopology } from '../support/api-nodes.js';

const topologies: ApiTopology[] = [];
after(async () => {
  for (const t of topologies) await t.stop();
  killAll();
});

async function topology(...args: Parameters<typeof startApiTopology>): Promise<ApiTopology> {
  const t = await startApiTopology(...args);
  topologies.push(t);
  return t;
}

async function emulatorStats(t: ApiTopology): Promise<EmulatorStats> {
  return (await call<EmulatorStats>(t.emulatorUrl, 'GET', '/_emulator/stats')).body;
}

describe('rate limits across nodes', () => {
  it('the per-user limit is exact across two nodes and answers 429 RATE_LIMITED with Retry-After', async () => {
    const t = await topology({ env: { MINISCALE_RATE_LIMIT_USER: '20', MINISCALE_RATE_LIMIT_IP: '0' } });
    const [a, b] = t.nodes.map((n) => n.url) as [string, string];
    const { token } = await login(a, 'limited');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => call(i % 2 ? a : b, 'GET', '/v1/counters/x', { token })));
    const ok = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429);
    assert.equal(ok, 20);
    assert.equal(limited.length, 20);
    for (const r of limited) {
      assert.equal((r.body as { error: { code: string } }).error.code, 'RATE_LIMITED');
      const retryAfter = Number(r.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${r.headers['retry-after']}`);
    }
    // Another user is not affected by this user's limit.
    const other = await login(b, 'unlimited');
    assert.equal((await call(a, 'GET', '/v1/counters/x', { token: other.token })).status, 200);
  });

  it('the per-IP limit is exact across two nodes and never blocks health checks', async () => {
    const t = await topology({ env: { MINISCALE_RATE_LIMIT_IP: '30', MINISCALE_RATE_LIMIT_USER: '0' } });
    const [a, b] = t.nodes.map((n) => n.url) as [string, string];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call(i % 2 ? a : b, 'GET', '/v1/kv/anything')));
    assert.equal(results.filter((r) => r.status === 429).length, 20);
    assert.equal(results.filter((r) => r.status === 401).length, 30);
    assert.equal((await call(a, 'GET', '/readyz')).status, 200);
    assert.equal((await call(b, 'GET', '/healthz')).status, 200);
  });

  it('logins per IP are limited separately', async () => {
    const t = await topology({ nodes: 1, env: { MINISCALE_RATE_LIMIT_LOGIN: '3', MINISCALE_RATE_LIMIT_IP: '0' } });
    const base = t.nodes[0]!.url;
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await call(base, 'POST', '/v1/auth/login', { json: { code: `dev:login-limit:${i}` } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  });
});

describe('WeChat access_token', () => {
  it('two nodes starting together fetch it once, refresh it once before it expires, and replace a rejected one once', async () => {
    // 8-second tokens: refreshed at 4/5 of their life (6.4 s) by one node only.
    const t = await topology({ emulator: { tokenTtlSec: 8 } });
    const [a, b] = t.nodes.map((n) => n.url) as [string, string];
    const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
    await sleep(1_500);
    let stats = await emulatorStats(t);
    assert.equal(stats.stable_token, 1, `fetched ${stats.stable_token} times at start-up`);
    assert.equal(stats.token, 0, 'nodes use stable_token, never /cgi-bin/token');

    const checks = await Promise.all([
      call(a, 'GET', '/v1/admin/wechat/check', { headers: admin }),
      call(b, 'GET', '/v1/admin/wechat/check', { headers: admin }),
    ]);
    assert.deepEqual(
      checks.map((c) => c.status),
      [200, 200],
    );
    assert.equal((await emulatorStats(t)).stable_token, 1, 'using the token does not fetch it again');

    await sleep(6_500);
    stats = await emulatorStats(t);
    assert.equal(stats.stable_token, 2, `refreshed ${stats.stable_token - 1} times around expiry`);

    // WeChat rejects every token now (42001): both nodes hit it at once; one refresh follows.
    await call(t.emulatorUrl, 'POST', '/_emulator/expire-tokens');
    const after = await Promise.all([
      call(a, 'GET', '/v1/admin/wechat/check', { headers: admin }),
      call(b, 'GET', '/v1/admin/wechat/check', { headers: admin }),
    ]);
    assert.deepEqual(
      after.map((c) => c.status),
      [200, 200],
      after.map((c) => c.text).join(' | '),
    );
    assert.equal((await emulatorStats(t)).stable_token, 3, 'a rejected token is replaced once, not once per node');
  });
});

describe('graceful drain', () => {
  it('SIGTERM: readyz turns 503, the in-flight request finishes, the node leaves the registry and exits 0', async () => {
    const t = await topology({ nodes: 1, env: { MINISCALE_DRAIN_DELAY_MS: '800' } });
    const node = t.nodes[0]!;
    const { token } = await login(node.url, 'drainer');
    const store = await openStore({ driver: 'embedded', dir: `${t.dataDir}/embedded` });
    try {
      assert.ok((await store.list()).some((n) => n.nodeId === node.nodeId && n.info.url === node.url));
      const exited = node.terminate();
      await sleep(200);
      const ready = await call(node.url, 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.equal(
        (await call(node.url, 'PUT', '/v1/me/kv/last', { token, json: { value: 'during drain' } })).status,
        200,
        'still serving while the gateway notices',
      );
      assert.equal(await exited, 0);
      assert.equal(
        (await store.list()).some((n) => n.nodeId === node.nodeId),
        false,
      );
    } finally {
      await store.close();
    }
  });
});
