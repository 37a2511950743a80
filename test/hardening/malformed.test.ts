/**
 * Property: a malformed request — random mixes of bad tokens, broken JSON, wrong
 * types, bad keys, wrong methods and content types, bad conditional headers, broken
 * framing, oversized bodies and headers, with odd query strings and junk headers as
 * noise — sent as raw bytes straight to an API node or through a real gateway, never
 * gets a 5xx, is always refused (4xx, or the connection closed), and never changes
 * stored data: the API view is checked after every request and the whole embedded
 * store (every table but the heartbeat registry) is compared before and after.
 *
 * The malformed-input handling lives in the API node and the gateway, above the
 * Store interface, so one driver (embedded, whose files a test can read whole) is
 * enough here; the round-trip property runs on all three.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { killAll } from '../support/processes.js';
import { call, login, startApiTopology, TEST_ADMIN_KEY, type ApiTopology } from '../support/api-nodes.js';
import { dumpEmbedded, rawExchange, startGatewayProcess, type GatewayProcess } from './helpers.js';
import { malformedRequest } from './malformed-requests.js';

const SEED = Number(process.env.HARDENING_SEED ?? 20261125);
const NO_LIMITS = { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0', MINISCALE_RATE_LIMIT_LOGIN: '0' };

describe('malformed requests', { timeout: 180_000 }, () => {
  let topo: ApiTopology;
  let gw: GatewayProcess;
  let node: string;
  let token: string;
  let storeDir: string;
  const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

  before(async () => {
    topo = await startApiTopology({ nodes: 1, env: NO_LIMITS });
    node = topo.nodes[0]!.url;
    storeDir = path.join(topo.dataDir, 'embedded');
    gw = await startGatewayProcess([node]);
    token = (await login(node, 'fuzz-victim')).token;
    // Something at every address a template writes to, so a wrong write or delete shows.
    for (const k of ['k0', 'k1'])
      assert.equal((await call(node, 'PUT', `/v1/me/kv/${k}`, { token, json: { value: { seeded: k } } })).status, 200);
    assert.equal((await call(node, 'POST', '/v1/counters/c0', { token, json: { by: 7 } })).status, 200);
    assert.equal((await call(node, 'PUT', '/v1/leaderboards/b0/me', { token, json: { score: 10 } })).status, 200);
    assert.equal((await call(node, 'PUT', '/v1/admin/kv/motd', { headers: admin, json: { value: 'seeded' } })).status, 200);
  });
  after(async () => {
    await gw?.stop();
    await topo?.stop();
    killAll();
  });

  /** What a client can see of the seeded data; the token still working is part of it. */
  async function apiView(): Promise<string> {
    const reads = await Promise.all([
      call(node, 'GET', '/v1/me/kv/k0', { token }),
      call(node, 'GET', '/v1/me/kv/k1', { token }),
      call(node, 'GET', '/v1/counters/c0', { token }),
      call(node, 'GET', '/v1/leaderboards/b0?limit=100', { token }),
      call(node, 'GET', '/v1/admin/kv/motd', { headers: admin }),
      call(node, 'GET', '/v1/counters/fuzz', { token }),
    ]);
    return JSON.stringify(reads.map((r) => [r.status, r.body]));
  }

  it('never get a 5xx, are always refused, and change no stored data (direct and through the gateway)', async () => {
    const viewBefore = await apiView();
    const storeBefore = await dumpEmbedded(storeDir);
    assert.ok(Object.keys(storeBefore.kv ?? {}).length >= 4, 'the dump sees the seeded data');
    const tally = { requests: 0, answered: 0, closedUnanswered: 0, byStatus: {} as Record<number, number> };
    await fc.assert(
      fc.asyncProperty(malformedRequest({ token, adminKey: TEST_ADMIN_KEY }), fc.boolean(), async (req, viaGateway) => {
        const port = viaGateway ? gw.port : Number(new URL(node).port);
        const res = await rawExchange(port, req.raw, { timeoutMs: 5_000 });
        tally.requests++;
        const where = `${viaGateway ? 'gateway' : 'node'}: ${req.what.join('; ')}\n${JSON.stringify(req.raw.slice(0, 300))}\n→ ${res.text.slice(0, 400)}`;
        for (const s of res.statuses) {
          tally.byStatus[s] = (tally.byStatus[s] ?? 0) + 1;
          assert.ok(s < 500, `5xx for a malformed request (${where})`);
          assert.ok(s >= 400, `a malformed request was accepted with ${s} (${where})`);
        }
        if (res.statuses.length) tally.answered++;
        else {
          // Acceptable only as a closed connection (e.g. a body that never completes), never a hang.
          assert.ok(res.closed, `no answer and the connection stayed open (${where})`);
          tally.closedUnanswered++;
        }
        assert.equal(await apiView(), viewBefore, `stored data changed (${where})`);
      }),
      { numRuns: 400, seed: SEED },
    );
    assert.deepEqual(await dumpEmbedded(storeDir), storeBefore, 'the store is byte-for-byte what it was');
    process.stdout.write(`# malformed: ${JSON.stringify(tally)}\n`);
    // Nearly all must get an actual 4xx answer; a closed connection without one is the exception.
    assert.ok(tally.answered >= tally.requests * 0.9, JSON.stringify(tally));
    for (const status of [400, 401, 404, 413, 415, 431])
      assert.ok((tally.byStatus[status] ?? 0) > 0, `exercised ${status}: ${JSON.stringify(tally.byStatus)}`);
  });

  it('the node and the gateway still serve afterwards', async () => {
    assert.equal((await call(node, 'GET', '/readyz')).status, 200);
    assert.equal((await call(gw.url, 'GET', '/v1/me/kv/k0', { token })).status, 200);
  });
});
