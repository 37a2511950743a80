/**
 * The same API guarantees with the nodes on a real redis-server instead of the
 * embedded store: sessions on every node, exact counters, exact rate limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { killAll } from '../support/processes.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { call, login, startApiTopology, type ApiTopology } from '../support/api-nodes.js';

let redis: TestRedis;
let topo: ApiTopology;
let a: string;
let b: string;

before(async () => {
  redis = await startTestRedis();
  topo = await startApiTopology({
    storeArgs: ['--store', 'redis', '--store-url', redis.url],
    env: { MINISCALE_RATE_LIMIT_USER: '25', MINISCALE_RATE_LIMIT_IP: '0' },
  });
  [a, b] = topo.nodes.map((n) => n.url) as [string, string];
});
after(async () => {
  await topo?.stop();
  await redis?.stop();
  killAll();
});

describe('API nodes on the redis store', () => {
  it('readyz reports the redis store', async () => {
    const res = await call<{ store: string }>(a, 'GET', '/readyz');
    assert.equal(res.status, 200);
    assert.equal(res.body.store, 'redis');
  });

  it('a session from one node works on the other; data written on one reads back on the other', async () => {
    const { token } = await login(a, 'rita');
    assert.equal((await call(b, 'PUT', '/v1/me/kv/note', { token, json: { value: { hi: 1 } } })).status, 200);
    assert.deepEqual((await call<{ value: unknown }>(a, 'GET', '/v1/me/kv/note', { token })).body.value, { hi: 1 });
    assert.equal((await call(a, 'POST', '/v1/auth/logout', { token })).status, 204);
    assert.equal((await call(b, 'GET', '/v1/me/kv/note', { token })).status, 401);
  });

  it('concurrent counter increments over both nodes are exact, and the user rate limit is exact', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, (_, i) => login(i % 2 ? a : b, `counter-user-${i}`)));
    const name = `redis-race-${Date.now()}`;
    // 8 users × 20 increments stays under each user's limit of 25 per minute.
    const results = await Promise.all(
      users.flatMap((u, i) =>
        Array.from({ length: 20 }, (_, j) => call((i + j) % 2 ? a : b, 'POST', `/v1/counters/${name}`, { token: u.token })),
      ),
    );
    assert.ok(
      results.every((r) => r.status === 200),
      results.find((r) => r.status !== 200)?.text,
    );
    assert.equal((await call<{ value: number }>(a, 'GET', `/v1/counters/${name}`, { token: users[0]!.token })).body.value, 160);
    // users[0] has used 21 of 25 (login does not count; the GET above does): 4 more pass.
    const more = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(i % 2 ? a : b, 'GET', `/v1/counters/${name}`, { token: users[0]!.token })),
    );
    assert.equal(more.filter((r) => r.status === 200).length, 4);
    assert.equal(more.filter((r) => r.status === 429).length, 6);
  });
});
