/**
 * The HTTP API of docs/api.md, black-box: two real node processes sharing one embedded
 * data directory, the WeChat emulator, real HTTP. Any node must serve any request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { killAll } from '../support/processes.js';
import { call, login, startApiTopology, TEST_ADMIN_KEY, type ApiTopology } from '../support/api-nodes.js';

let topo: ApiTopology;
let a: string;
let b: string;

before(async () => {
  topo = await startApiTopology({ env: { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0', MINISCALE_RATE_LIMIT_LOGIN: '0' } });
  [a, b] = topo.nodes.map((n) => n.url) as [string, string];
});
after(async () => {
  await topo?.stop();
  killAll();
});

describe('health and identity', () => {
  it('healthz and readyz answer 200, and every response carries the X-Node-Id of its process', async () => {
    const ids = new Set<string>();
    for (const [i, base] of [a, b].entries()) {
      const health = await call(base, 'GET', '/healthz');
      assert.equal(health.status, 200);
      const ready = await call(base, 'GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.headers['x-node-id'], topo.nodes[i]!.nodeId);
      const missing = await call(base, 'GET', '/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.headers['x-node-id'], topo.nodes[i]!.nodeId);
      ids.add(String(health.headers['x-node-id']));
    }
    assert.equal(ids.size, 2);
  });

  it('an unknown route is 404 NOT_FOUND in the error format', async () => {
    const res = await call(a, 'GET', '/v1/nothing-here');
    assert.deepEqual(Object.keys(res.body), ['error']);
    assert.equal((res.body as { error: { code: string } }).error.code, 'NOT_FOUND');
  });
});

describe('login and sessions', () => {
  it('a token issued by one node works on the other, and logout on one revokes it on both', async () => {
    const user = await login(a, 'alice');
    assert.match(user.token, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(user.expiresAt) > Date.now() + 6 * 24 * 3600_000, 'sessions last 7 days by default');
    assert.equal((await call(b, 'PUT', '/v1/me/kv/k', { token: user.token, json: { value: 1 } })).status, 200);
    assert.equal((await call(a, 'GET', '/v1/me/kv/k', { token: user.token })).status, 200);
    assert.equal((await call(b, 'POST', '/v1/auth/logout', { token: user.token })).status, 204);
    for (const base of [a, b]) {
      const res = await call(base, 'GET', '/v1/me/kv/k', { token: user.token });
      assert.equal(res.status, 401);
      assert.equal((res.body as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    }
  });

  it('the same WeChat user gets the same openid from every login, and session_key never reaches the client', async () => {
    const first = await login(a, 'bob');
    const second = await call(b, 'POST', '/v1/auth/login', { json: { code: `dev:bob:again-${Date.now()}` } });
    assert.equal((second.body as { openid: string }).openid, first.openid);
    assert.notEqual((second.body as { token: string }).token, first.token);
    assert.deepEqual(Object.keys(second.body as object).sort(), ['expiresAt', 'openid', 'token']);
    assert.doesNotMatch(second.text, /session_key|sessionKey/);
    assert.notEqual((await login(a, 'carol')).openid, first.openid);
  });

  it('WeChat login errors map to stable codes', async () => {
    const cases: Array<[string, number, string]> = [
      ['not-a-dev-code', 401, 'AUTH_CODE_INVALID'],
      ['dev:blocked-user', 403, 'AUTH_USER_BLOCKED'],
    ];
    for (const [code, status, errorCode] of cases) {
      const res = await call(a, 'POST', '/v1/auth/login', { json: { code } });
      assert.equal(res.status, status, code);
      assert.equal((res.body as { error: { code: string } }).error.code, errorCode);
    }
    const code = `dev:dave:${Date.now()}`;
    assert.equal((await call(a, 'POST', '/v1/auth/login', { json: { code } })).status, 200);
    const reused = await call(b, 'POST', '/v1/auth/login', { json: { code } });
    assert.equal(reused.status, 401, 'a code works once');
    assert.equal((reused.body as { error: { code: string } }).error.code, 'AUTH_CODE_INVALID');
  });

  it('signed-in routes refuse a missing, malformed or unknown token with 401 UNAUTHENTICATED', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Basic abc' },
      { authorization: `Bearer ${'x'.repeat(43)}` },
    ] as Array<Record<string, string>>) {
      const res = await call(a, 'GET', '/v1/me/kv/x', { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal((res.body as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    }
  });
});

describe('per-user data', () => {
  it('PUT, GET and DELETE a value with versions, ETags and expiry times', async () => {
    const { token } = await login(a, 'erin');
    const put = await call<{ key: string; value: unknown; version: number; expiresAt: string | null }>(a, 'PUT', '/v1/me/kv/profile', {
      token,
      json: { value: { level: 3, name: '小明' } },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.value, { level: 3, name: '小明' });
    assert.equal(put.body.key, 'profile');
    assert.equal(put.body.expiresAt, null);
    assert.equal(put.headers.etag, `"${put.body.version}"`);
    const got = await call(b, 'GET', '/v1/me/kv/profile', { token });
    assert.deepEqual(got.body, put.body);
    assert.equal(got.headers.etag, `"${put.body.version}"`);
    assert.equal((await call(b, 'DELETE', '/v1/me/kv/profile', { token })).status, 204);
    const gone = await call(a, 'GET', '/v1/me/kv/profile', { token });
    assert.equal(gone.status, 404);
    assert.equal((gone.body as { error: { code: string } }).error.code, 'NOT_FOUND');
    assert.equal((await call(a, 'DELETE', '/v1/me/kv/profile', { token })).status, 404);
  });

  it("one user cannot see another user's keys", async () => {
    const frank = await login(a, 'frank');
    const gina = await login(a, 'gina');
    await call(a, 'PUT', '/v1/me/kv/secret', { token: frank.token, json: { value: 'frank only' } });
    assert.equal((await call(b, 'GET', '/v1/me/kv/secret', { token: gina.token })).status, 404);
  });

  it('If-Match makes PUT and DELETE compare-and-set (412 VERSION_CONFLICT on mismatch), If-None-Match: * creates only', async () => {
    const { token } = await login(a, 'hank');
    const created = await call<{ version: number }>(a, 'PUT', '/v1/me/kv/doc', {
      token,
      json: { value: 1 },
      headers: { 'if-none-match': '*' },
    });
    assert.equal(created.status, 200);
    const again = await call(b, 'PUT', '/v1/me/kv/doc', { token, json: { value: 2 }, headers: { 'if-none-match': '*' } });
    assert.equal(again.status, 412);
    assert.equal((again.body as { error: { code: string } }).error.code, 'VERSION_CONFLICT');
    const updated = await call<{ version: number }>(b, 'PUT', '/v1/me/kv/doc', {
      token,
      json: { value: 3 },
      headers: { 'if-match': `"${created.body.version}"` },
    });
    assert.equal(updated.status, 200);
    const stale = await call(a, 'PUT', '/v1/me/kv/doc', {
      token,
      json: { value: 4 },
      headers: { 'if-match': `"${created.body.version}"` },
    });
    assert.equal(stale.status, 412);
    assert.equal((await call(a, 'DELETE', '/v1/me/kv/doc', { token, headers: { 'if-match': `"${created.body.version}"` } })).status, 412);
    assert.equal((await call<{ value: number }>(a, 'GET', '/v1/me/kv/doc', { token })).body.value, 3);
    assert.equal((await call(a, 'DELETE', '/v1/me/kv/doc', { token, headers: { 'if-match': `"${updated.body.version}"` } })).status, 204);
    assert.equal(
      (await call(a, 'PUT', '/v1/me/kv/doc', { token, json: { value: 5 }, headers: { 'if-match': '*' } })).status,
      412,
      'If-Match: * needs an existing value',
    );
  });

  it('GET with If-None-Match of the current ETag answers 304 without a body', async () => {
    const { token } = await login(a, 'ivy');
    const put = await call(a, 'PUT', '/v1/me/kv/cached', { token, json: { value: 'x' } });
    const res = await call(b, 'GET', '/v1/me/kv/cached', { token, headers: { 'if-none-match': String(put.headers.etag) } });
    assert.equal(res.status, 304);
    assert.equal(res.text, '');
  });

  it('a value with ttl expires, and GET reports its expiry time', async () => {
    const { token } = await login(a, 'jack');
    const before = Date.now();
    const put = await call<{ expiresAt: string }>(a, 'PUT', '/v1/me/kv/temp', { token, json: { value: 'brief', ttl: 1 } });
    const expiresAt = Date.parse(put.body.expiresAt);
    assert.ok(expiresAt >= before + 900 && expiresAt <= Date.now() + 1100, put.body.expiresAt);
    assert.equal((await call(b, 'GET', '/v1/me/kv/temp', { token })).status, 200);
    await sleep(1300);
    assert.equal((await call(b, 'GET', '/v1/me/kv/temp', { token })).status, 404);
  });

  it('compare-and-set races through both nodes lose no update', async () => {
    const { token } = await login(a, 'kate');
    await call(a, 'PUT', '/v1/me/kv/tally', { token, json: { value: 0 } });
    const worker = async (base: string, times: number) => {
      for (let done = 0; done < times;) {
        const cur = await call<{ value: number; version: number }>(base, 'GET', '/v1/me/kv/tally', { token });
        const res = await call(base, 'PUT', '/v1/me/kv/tally', {
          token,
          json: { value: cur.body.value + 1 },
          headers: { 'if-match': `"${cur.body.version}"` },
        });
        if (res.status === 200) done++;
        else assert.equal(res.status, 412);
      }
    };
    await Promise.all([worker(a, 25), worker(b, 25), worker(a, 25), worker(b, 25)]);
    assert.equal((await call<{ value: number }>(a, 'GET', '/v1/me/kv/tally', { token })).body.value, 100);
  });
});

describe('public data', () => {
  it('the admin writes app-wide values and every signed-in user reads them', async () => {
    const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
    assert.equal((await call(a, 'PUT', '/v1/admin/kv/motd', { headers: admin, json: { value: { text: 'hello' } } })).status, 200);
    const { token } = await login(b, 'liam');
    const res = await call<{ value: unknown }>(b, 'GET', '/v1/kv/motd', { token });
    assert.deepEqual(res.body.value, { text: 'hello' });
    assert.equal((await call(a, 'GET', '/v1/kv/motd')).status, 401, 'public data still needs a signed-in user');
    assert.equal((await call(a, 'DELETE', '/v1/admin/kv/motd', { headers: admin })).status, 204);
    assert.equal((await call(b, 'GET', '/v1/kv/motd', { token })).status, 404);
  });

  it('admin routes refuse users and wrong keys with 403 FORBIDDEN', async () => {
    const { token } = await login(a, 'mia');
    for (const headers of [{ authorization: `Bearer ${token}` }, { authorization: 'Bearer wrong-admin-key-000000' }, {}] as Array<
      Record<string, string>
    >) {
      const res = await call(a, 'PUT', '/v1/admin/kv/motd', { headers, json: { value: 1 } });
      assert.equal(res.status, 403);
      assert.equal((res.body as { error: { code: string } }).error.code, 'FORBIDDEN');
    }
  });
});

describe('counters', () => {
  it('a counter never touched reads 0; POST adds 1 by default or `by`', async () => {
    const { token } = await login(a, 'noah');
    const name = `c-${Date.now()}`;
    assert.deepEqual((await call(a, 'GET', `/v1/counters/${name}`, { token })).body, { name, value: 0 });
    assert.deepEqual((await call(b, 'POST', `/v1/counters/${name}`, { token })).body, { name, value: 1 });
    assert.deepEqual((await call(a, 'POST', `/v1/counters/${name}`, { token, json: { by: 41 } })).body, { name, value: 42 });
    assert.deepEqual((await call(b, 'POST', `/v1/counters/${name}`, { token, json: { by: -2 } })).body, { name, value: 40 });
  });

  it('400 concurrent increments spread over both nodes give the exact total', async () => {
    const { token } = await login(a, 'olga');
    const name = `race-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => call(i % 2 ? a : b, 'POST', `/v1/counters/${name}`, { token })),
    );
    assert.ok(results.every((r) => r.status === 200));
    const values = new Set(results.map((r) => (r.body as { value: number }).value));
    assert.equal(values.size, 400, 'every increment saw a distinct value');
    assert.equal((await call<{ value: number }>(b, 'GET', `/v1/counters/${name}`, { token })).body.value, 400);
  });
});

describe('leaderboards', () => {
  it('ranks highest first, keeps the best score by default, and lists the top N', async () => {
    const board = `b-${Date.now()}`;
    const users = await Promise.all(['p1', 'p2', 'p3'].map((n) => login(a, n)));
    const [u1, u2, u3] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
    await call(a, 'PUT', `/v1/leaderboards/${board}/me`, { token: u1.token, json: { score: 10 } });
    await call(b, 'PUT', `/v1/leaderboards/${board}/me`, { token: u2.token, json: { score: 30 } });
    const third = await call(a, 'PUT', `/v1/leaderboards/${board}/me`, { token: u3.token, json: { score: 20 } });
    assert.deepEqual(third.body, { board, openid: u3.openid, score: 20, rank: 2 });
    const lower = await call(b, 'PUT', `/v1/leaderboards/${board}/me`, { token: u2.token, json: { score: 5 } });
    assert.deepEqual(lower.body, { board, openid: u2.openid, score: 30, rank: 1 }, 'best mode keeps the higher score');
    const set = await call(b, 'PUT', `/v1/leaderboards/${board}/me`, { token: u2.token, json: { score: 5, mode: 'set' } });
    assert.deepEqual(set.body, { board, openid: u2.openid, score: 5, rank: 3 });
    const top = await call(a, 'GET', `/v1/leaderboards/${board}?limit=2`, { token: u1.token });
    assert.deepEqual(top.body, {
      board,
      entries: [
        { rank: 1, openid: u3.openid, score: 20 },
        { rank: 2, openid: u1.openid, score: 10 },
      ],
    });
    assert.deepEqual((await call(b, 'GET', `/v1/leaderboards/${board}/me`, { token: u1.token })).body, {
      board,
      openid: u1.openid,
      score: 10,
      rank: 2,
    });
  });

  it('my standing on a board without my score is 404; limit outside 1-100 is 400', async () => {
    const { token } = await login(a, 'quinn');
    assert.equal((await call(a, 'GET', `/v1/leaderboards/empty-${Date.now()}/me`, { token })).status, 404);
    for (const limit of ['0', '101', 'abc']) {
      const res = await call(a, 'GET', `/v1/leaderboards/x?limit=${limit}`, { token });
      assert.equal(res.status, 400, limit);
      assert.equal((res.body as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
    }
  });
});

describe('metrics', () => {
  it('GET /metrics serves Prometheus text to loopback clients', async () => {
    const res = await call(a, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.text, /miniscale_http_requests_total\{[^}]*route="\/v1\/me\/kv\/:key"/);
    assert.match(res.text, /miniscale_logins_total\{[^}]*outcome="ok"/);
  });
});
