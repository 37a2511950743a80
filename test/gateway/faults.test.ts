/**
 * Faults on real upstream processes, Jepsen-style: each test records what every
 * request saw and asserts on the record. SIGKILL under load, an upstream that dies
 * holding a POST, a node answering 503 (ejection, then slow start), and a total
 * outage (the retry budget), every health check failing (panic mode), and PUT/DELETE
 * replayed only with an Idempotency-Key.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RunningGateway } from '../../src/gateway/index.js';
import { killAll } from '../support/processes.js';
import { countBy, gateway, load, parseRaw, rawExchange, startUpstreams, upstreamsOf, waitFor, type UpstreamHandle } from './helpers.js';

describe('an upstream SIGKILLed under GET load', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(3);
    gw = await gateway({ upstreams: ups.map((u) => u.url) }); // defaults: p2c-ewma, probes every 2 s
  });
  after(async () => {
    await gw.close();
    killAll();
  });

  it('costs at most 0.5 % of requests and is marked unhealthy within 5 s', async () => {
    const victim = ups[1]!;
    let killedAt = 0;
    const out = await load(gw.url, {
      concurrency: 16,
      durationMs: 4_000,
      at: {
        ms: 1_000,
        run: () => {
          killedAt = Date.now();
          victim.child.kill('SIGKILL');
        },
      },
    });
    const failed = out.filter((o) => o.status !== 200);
    const rate = failed.length / out.length;
    process.stdout.write(`# SIGKILL under load: ${failed.length} of ${out.length} failed (${(rate * 100).toFixed(3)} %)\n`);
    assert.ok(out.length > 1_000, `enough requests (${out.length})`);
    assert.ok(rate <= 0.005, `failed: ${JSON.stringify(countBy(failed, (o) => o.error ?? String(o.status)))}`);
    assert.ok(
      out.some((o) => o.upstream === victim.id),
      'the victim served before it died',
    );

    const url = victim.url;
    const state = async () => (await upstreamsOf(gw)).upstreams.find((u) => u.url === url)!.state;
    await waitFor(
      'the dead upstream to be marked unhealthy',
      async () => (await state()) === 'unhealthy',
      Math.max(0, killedAt + 5_000 - Date.now()),
    );
  });
});

describe('a POST to an upstream that dies mid-request', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(3);
    gw = await gateway({ upstreams: ups.map((u) => u.url), balancing: { algorithm: 'round-robin' } });
  });
  after(async () => {
    await gw.close();
    killAll();
  });

  it('is never sent to another upstream, and the client gets 502', async () => {
    const res = await request(`${gw.url}/die`, {
      method: 'POST',
      body: JSON.stringify({ charge: 100 }),
      headers: { 'content-type': 'application/json' },
    });
    const body = (await res.body.json()) as { error: { code: string } };
    assert.equal(res.statusCode, 502);
    assert.equal(body.error.code, 'UPSTREAM_UNAVAILABLE');
    const isAlive = (u: UpstreamHandle) => u.child.exitCode === null && u.child.signalCode === null;
    await waitFor('the upstream that took the POST to exit', () => !ups.every(isAlive), 5_000);
    const alive = ups.filter(isAlive);
    assert.equal(alive.length, 2, 'exactly one upstream got it (and died)');
    for (const u of alive) assert.equal((await u.stats()).byPath['/die'] ?? 0, 0, `${u.id} never saw the POST`);
  });
});

describe('an upstream answering 503', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(3);
    gw = await gateway({
      upstreams: ups.map((u) => u.url),
      balancing: { algorithm: 'round-robin', slowStartMs: 3_000 },
      outlierDetection: { ejectionBaseMs: 1_000 },
      healthChecks: { intervalMs: 0 },
    });
  });
  after(async () => {
    await gw.close();
    killAll();
  });

  it('is ejected (its GETs retried elsewhere), then comes back through slow start', async () => {
    const sick = ups[0]!;
    const state = async () => (await upstreamsOf(gw)).upstreams.find((u) => u.url === sick.url)!.state;
    await sick.knobs({ failRate: 1, failStatus: 503 });
    const during = await load(gw.url, { concurrency: 6, total: 300 });
    assert.deepEqual(
      countBy(during, (o) => String(o.status)),
      { 200: 300 },
      'every GET was retried on a healthy upstream',
    );
    assert.equal(await state(), 'ejected');
    const metrics = await (await request(`${gw.url}/_gateway/metrics`)).body.text();
    assert.match(metrics, new RegExp(`miniscale_gateway_ejections_total\\{upstream="${sick.url}"\\} 1`));

    await sick.knobs({ failRate: 0 });
    await waitFor('the ejection to end', async () => (await state()) === 'slow-start', 3_000, 20);
    const early = await load(gw.url, { concurrency: 6, durationMs: 700 });
    await waitFor('slow start to finish', async () => (await state()) === 'healthy', 4_000, 50);
    const late = await load(gw.url, { concurrency: 6, durationMs: 700 });
    const share = (o: typeof early) => o.filter((x) => x.upstream === sick.id).length / o.length;
    process.stdout.write(`# slow start: share ${(share(early) * 100).toFixed(1)} % early, ${(share(late) * 100).toFixed(1)} % after\n`);
    assert.ok(share(early) < 0.22, `a returning node starts with a small share (${share(early)})`);
    assert.ok(share(late) > 0.3, `and ends with a full one (${share(late)})`);
    assert.equal([...early, ...late].filter((o) => o.status !== 200).length, 0);
  });
});

describe('a total outage', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(3);
    gw = await gateway({ upstreams: ups.map((u) => u.url), healthChecks: { intervalMs: 0 } });
  });
  after(async () => {
    await gw.close();
    killAll();
  });

  it('is not multiplied by retries: the budget caps them at 20 % of requests + 3', async () => {
    await Promise.all(ups.map((u) => u.knobs({ failRate: 1, failStatus: 503 })));
    const n = 400;
    const out = await load(gw.url, { concurrency: 10, total: n });
    assert.deepEqual(
      countBy(out, (o) => String(o.status)),
      { 503: n },
      "clients see the upstreams' 503",
    );
    const attempts = (await Promise.all(ups.map((u) => u.stats()))).reduce((sum, s) => sum + s.total, 0);
    const retries = attempts - n;
    process.stdout.write(`# total outage: ${n} requests made ${attempts} attempts (${retries} retries; without a budget up to ${2 * n})\n`);
    assert.ok(retries <= 0.2 * n + 3, `${retries} retries`);
    assert.ok(retries >= 3, 'the floor still allows a few');
    const metrics = await (await request(`${gw.url}/_gateway/metrics`)).body.text();
    const exhausted = Number(/miniscale_gateway_retry_budget_exhausted_total (\d+)/.exec(metrics)?.[1]);
    assert.ok(exhausted > 0, 'budget exhaustion is counted');
  });
});

describe('every upstream failing its health checks (panic mode)', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(3);
    gw = await gateway({
      upstreams: ups.map((u) => u.url),
      balancing: { algorithm: 'round-robin' },
      healthChecks: { intervalMs: 100, unhealthyThreshold: 2 },
    });
  });
  after(async () => {
    await gw.close();
    killAll();
  });

  it('still tries every non-draining upstream rather than refusing everything', async () => {
    // A bad deploy of the health endpoint: /readyz says 503 everywhere, yet requests succeed.
    await Promise.all(ups.map((u) => u.knobs({ ready: false })));
    await waitFor(
      'every upstream to be marked unhealthy',
      async () => (await upstreamsOf(gw)).upstreams.every((u) => u.state === 'unhealthy'),
      5_000,
    );
    const drained = ups[2]!;
    const drain = await request(`${gw.url}/_gateway/upstreams/${new URL(drained.url).host}/drain`, { method: 'POST' });
    assert.equal(drain.statusCode, 200);
    await drain.body.dump();

    const out = await load(gw.url, { concurrency: 6, total: 120 });
    assert.deepEqual(
      countBy(out, (o) => String(o.status)),
      { 200: 120 },
      'panic mode served every request',
    );
    const by = countBy(out, (o) => o.upstream);
    assert.equal(by[drained.id] ?? 0, 0, `a draining upstream stays out even in panic: ${JSON.stringify(by)}`);
    assert.ok((by[ups[0]!.id] ?? 0) > 20 && (by[ups[1]!.id] ?? 0) > 20, `both others were tried: ${JSON.stringify(by)}`);
    const metrics = await (await request(`${gw.url}/_gateway/metrics`)).body.text();
    assert.ok(Number(/miniscale_gateway_panic_total (\d+)/.exec(metrics)?.[1]) >= 120, 'panic picks are counted');
  });
});

describe('a PUT or DELETE to a failing upstream', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(3);
    // Never ejected, so every third request keeps reaching the failing node; a budget
    // roomy enough that these few requests' retries are never refused.
    gw = await gateway({
      upstreams: ups.map((u) => u.url),
      balancing: { algorithm: 'round-robin' },
      healthChecks: { intervalMs: 0 },
      outlierDetection: { ejectAfterFailures: 1000 },
      retryPolicy: { budgetRatio: 0.5 },
      timeouts: { totalMs: 2_000, tryMs: 2_000 },
    });
  });
  after(async () => {
    await gw.close();
    killAll();
  });

  const body = JSON.stringify({ score: 42, pad: 'x'.repeat(2_000) });
  const sha = createHash('sha256').update(body).digest('hex');
  const send = async (method: string, headers: Record<string, string>) => {
    const res = await request(`${gw.url}/items/1`, {
      method,
      body: method === 'DELETE' ? undefined : body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    return { status: res.statusCode, body: (await res.body.json()) as { id: string; sha256?: string } };
  };

  it('is replayed on another upstream, same bytes, when the client sends an Idempotency-Key', async () => {
    const sick = ups[0]!;
    await sick.knobs({ failRate: 1, failStatus: 503 });
    const before = (await sick.stats()).total;
    for (let i = 0; i < 12; i++) {
      const put = await send('PUT', { 'idempotency-key': `put-${i}` });
      assert.equal(put.status, 200, `PUT ${i} answered by ${put.body.id}`);
      assert.notEqual(put.body.id, sick.id);
      assert.equal(put.body.sha256, sha, 'the replay carried the same body');
      const del = await send('DELETE', { 'idempotency-key': `del-${i}` });
      assert.equal(del.status, 200);
    }
    assert.ok((await sick.stats()).total - before >= 4, 'the failing node was tried, and its requests replayed');

    // A reset after the upstream read the body (sent, not answered): replayed too.
    await sick.knobs({ failRate: 0, resetRate: 1 });
    for (let i = 0; i < 6; i++) {
      const put = await send('PUT', { 'idempotency-key': `reset-${i}` });
      assert.equal(put.status, 200);
      assert.equal(put.body.sha256, sha);
    }
    await sick.knobs({ resetRate: 0 });
  });

  it('is not replayed without one, and a POST never is', async () => {
    const sick = ups[0]!;
    await sick.knobs({ failRate: 1, failStatus: 503 });
    for (const [method, headers] of [
      ['PUT', {}],
      ['DELETE', {}],
      ['POST', { 'idempotency-key': 'post' }],
    ] as const) {
      const before = (await sick.stats()).total;
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) statuses.push((await send(method, headers)).status);
      const reached = (await sick.stats()).total - before;
      assert.ok(reached >= 2, `${method}: the failing node got its share (${reached})`);
      assert.equal(
        statuses.filter((s) => s === 503).length,
        reached,
        `${method}: every request it got came back 503, none replayed: ${statuses}`,
      );
    }
    await sick.knobs({ failRate: 0 });
  });

  it('answers 408 to a client too slow to send the body it holds, and sends upstream nothing', async () => {
    const seen = async () => (await Promise.all(ups.map((u) => u.stats()))).reduce((n, st) => n + st.total, 0);
    const before = await seen();
    const started = Date.now();
    const { text, closed } = await rawExchange(
      gw.port,
      'PUT /items/1 HTTP/1.1\r\nHost: x\r\nIdempotency-Key: slow-1\r\nContent-Length: 100\r\n\r\n{"only":"part',
      4_000,
    );
    const res = parseRaw(text);
    assert.equal(res.status, 408, text);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'REQUEST_TIMEOUT');
    assert.ok(closed, 'the connection is closed (the rest of the body would be out of sync)');
    assert.ok(Date.now() - started < 3_500, 'answered at the request deadline (2 s), not the client timeout');
    assert.equal(await seen(), before, 'no upstream saw it');
  });
});
