/**
 * One access_token refresh for the whole system per token WeChat refused: three real
 * node processes on one store (embedded, then redis), bursts of 12 concurrent WeChat
 * calls spread over them right after WeChat stopped accepting the token. Each burst must
 * cost exactly one stable_token call (and no force_refresh, which WeChat allows 20 times
 * a day), and every call must succeed on its one retry.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, login, startApiTopology, TEST_ADMIN_KEY, type ApiTopology } from '../support/api-nodes.js';
import { killAll } from '../support/processes.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { emulatorStats, expireTokens, injectErrcode, tokenFetched } from '../support/wechat.js';

const BURST = 12;
const BURSTS = 3;
const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

const topologies: ApiTopology[] = [];
let redis: TestRedis | undefined;
after(async () => {
  for (const t of topologies) await t.stop();
  await redis?.stop();
  killAll();
});

/** BURST calls that need the token, round-robin over the nodes, all at once. */
async function burst(t: ApiTopology): Promise<Array<{ status: number; text: string }>> {
  return Promise.all(
    Array.from({ length: BURST }, (_, i) => call(t.nodes[i % t.nodes.length]!.url, 'GET', '/v1/admin/wechat/check', { headers: admin })),
  );
}

async function threeNodes(storeArgs?: string[]): Promise<ApiTopology> {
  const t = await startApiTopology({ nodes: 3, ...(storeArgs ? { storeArgs } : {}) });
  topologies.push(t);
  await tokenFetched(t.emulatorUrl);
  await sleep(300); // the other nodes' start-up refreshes find the stored token
  return t;
}

function refreshOncePerRefusedToken(open: () => Promise<ApiTopology>) {
  return async () => {
    const t = await open();
    const start = await emulatorStats(t.emulatorUrl);
    assert.equal(start.stable_token, 1, `${start.stable_token} token fetches at start-up by 3 nodes`);
    for (let n = 1; n <= BURSTS; n++) {
      const before = await emulatorStats(t.emulatorUrl);
      await expireTokens(t.emulatorUrl); // every call with the current token now gets 42001
      const answers = await burst(t);
      assert.deepEqual(
        answers.map((a) => a.status),
        Array(BURST).fill(200),
        answers.map((a) => a.text).join(' | '),
      );
      const now = await emulatorStats(t.emulatorUrl);
      assert.equal(
        now.stable_token - before.stable_token,
        1,
        `burst ${n}: ${now.stable_token - before.stable_token} token fetches for one refused token`,
      );
      assert.equal(
        now.stable_token_force - before.stable_token_force,
        0,
        `burst ${n}: force_refresh used though normal mode gave a new token`,
      );
      assert.ok(now.getcallbackip - before.getcallbackip <= 2 * BURST, `burst ${n}: a call is retried at most once`);
    }
  };
}

describe('one access_token refresh per refused token, system-wide', { timeout: 120_000 }, () => {
  it(
    '3 nodes on the embedded store, bursts of 12 calls after 42001: one stable_token call per burst',
    refreshOncePerRefusedToken(() => threeNodes()),
  );

  it(
    '3 nodes on one redis-server, bursts of 12 calls after 42001: one stable_token call per burst',
    refreshOncePerRefusedToken(async () => {
      redis = await startTestRedis();
      return threeNodes(['--store', 'redis', '--store-url', redis.url]);
    }),
  );

  it('a burst mixing every kind of WeChat call (check, phone, text, code image) shares the one refresh', async () => {
    const t = await threeNodes();
    const { token } = await login(t.nodes[0]!.url, 'mixed-burst');
    const before = await emulatorStats(t.emulatorUrl);
    await expireTokens(t.emulatorUrl);
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, i) => {
        const node = t.nodes[i % t.nodes.length]!.url;
        switch (i % 4) {
          case 0:
            return call(node, 'GET', '/v1/admin/wechat/check', { headers: admin });
          case 1:
            return call(node, 'POST', '/v1/me/phone', { token, json: { code: `devphone:86-1380013800${i % 10}:${i}` } });
          case 2:
            return call(node, 'POST', '/v1/security/text', { token, json: { content: `burst ${i}` } });
          default:
            return call(node, 'GET', `/v1/wxacode?scene=burst${i}`, { token });
        }
      }),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(BURST).fill(200),
      answers.map((a) => a.text.slice(0, 200)).join(' | '),
    );
    const now = await emulatorStats(t.emulatorUrl);
    assert.equal(now.stable_token - before.stable_token, 1);
    assert.equal(now.stable_token_force - before.stable_token_force, 0);
  });

  it('one 40001 for a token WeChat still hands out: one normal fetch, one force_refresh, across 3 nodes', async () => {
    const t = await threeNodes();
    const before = await emulatorStats(t.emulatorUrl);
    // WeChat refuses the token once while stable_token's normal mode still returns it:
    // only force_refresh gets another, and it invalidates the old one for the calls in flight.
    await injectErrcode(t.emulatorUrl, 'getcallbackip', 40001, 1);
    const answers = await burst(t);
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(BURST).fill(200),
      answers.map((a) => a.text).join(' | '),
    );
    const now = await emulatorStats(t.emulatorUrl);
    assert.equal(now.stable_token - before.stable_token, 2, 'one normal-mode call that gave the refused token back, then one forced');
    assert.equal(now.stable_token_force - before.stable_token_force, 1, 'exactly one force_refresh');
  });
});
