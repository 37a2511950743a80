/**
 * The admin API on the reserved /_gateway/ prefix: its JSON as docs/api.md states it,
 * Prometheus metrics, the dashboard, and who may see them (loopback, or the admin key).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RunningGateway } from '../../src/gateway/index.js';
import { killAll } from '../support/processes.js';
import { gateway, load, startUpstreams, type UpstreamHandle } from './helpers.js';

const ADMIN_KEY = 'gateway-admin-key-0123456789';

describe('admin API', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  let proxied: RunningGateway;
  before(async () => {
    ups = await startUpstreams(2);
    gw = await gateway({ upstreams: ups.map((u) => u.url), balancing: { algorithm: 'least-conn' }, healthChecks: { intervalMs: 200 } });
    // Behind a trusted proxy on loopback, the client is whoever X-Forwarded-For says.
    proxied = await gateway({ upstreams: ups.map((u) => u.url), trustProxy: ['127.0.0.1/32'], admin: { key: ADMIN_KEY } });
  });
  after(async () => {
    await gw.close();
    await proxied.close();
    killAll();
  });

  it('GET /_gateway/upstreams: {algorithm, upstreams:[{url, state, inflight, ewmaMs, requests, failures}]}', async () => {
    await new Promise((r) => setTimeout(r, 500)); // a few probes, which must not count
    const before = (await (await request(`${gw.url}/_gateway/upstreams`)).body.json()) as Record<string, unknown>;
    assert.deepEqual(before, {
      algorithm: 'least-conn',
      upstreams: ups.map((u) => ({ url: u.url, state: 'healthy', inflight: 0, ewmaMs: 0, requests: 0, failures: 0 })),
    });
    await load(gw.url, { concurrency: 2, total: 40 });
    const res = await request(`${gw.url}/_gateway/upstreams`);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const after = (await res.body.json()) as { upstreams: Array<{ url: string; requests: number; ewmaMs: number; failures: number }> };
    assert.equal(
      after.upstreams.reduce((s, u) => s + u.requests, 0),
      40,
    );
    for (const u of after.upstreams) {
      assert.deepEqual(Object.keys(u), ['url', 'state', 'inflight', 'ewmaMs', 'requests', 'failures']);
      assert.ok(typeof u.ewmaMs === 'number' && u.ewmaMs > 0);
      assert.equal(u.failures, 0);
    }
  });

  it('GET /_gateway/metrics: Prometheus text with requests, latency, retries, budget, ejections, pools', async () => {
    const res = await request(`${gw.url}/_gateway/metrics`);
    const text = await res.body.text();
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    for (const name of [
      'miniscale_gateway_requests_total',
      'miniscale_gateway_request_duration_seconds_bucket',
      'miniscale_gateway_retries_total',
      'miniscale_gateway_retry_budget_exhausted_total',
      'miniscale_gateway_ejections_total',
      'miniscale_gateway_pool_connections',
      'miniscale_gateway_upstream_state',
      'miniscale_gateway_upstream_inflight',
      'miniscale_gateway_client_errors_total',
    ])
      assert.ok(text.includes(name), `${name} is exported`);
    assert.match(text, new RegExp(`miniscale_gateway_requests_total\\{upstream="${ups[0]!.url}",status="200"\\} \\d+`));
    assert.match(text, new RegExp(`miniscale_gateway_upstream_state\\{upstream="${ups[0]!.url}",state="healthy"\\} 1`));
    // HEAD is answered like GET, without a body (it once got no answer at all).
    const head = await request(`${gw.url}/_gateway/metrics`, { method: 'HEAD', headersTimeout: 5_000 });
    assert.equal(head.statusCode, 200);
    assert.match(String(head.headers['content-type']), /^text\/plain/);
    assert.equal(await head.body.text(), '');
  });

  it('GET /_gateway/ is a dashboard page; unknown admin routes are 404, wrong methods 405', async () => {
    const page = await request(`${gw.url}/_gateway/`);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(await page.body.text(), /\/_gateway\/upstreams/);
    const missing = await request(`${gw.url}/_gateway/nothing`);
    assert.equal(missing.statusCode, 404);
    assert.equal(((await missing.body.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    const wrong = await request(`${gw.url}/_gateway/upstreams`, { method: 'DELETE' });
    assert.equal(wrong.statusCode, 405);
    await wrong.body.dump();
    const unknown = await request(`${gw.url}/_gateway/upstreams/10.9.9.9:1/drain`, { method: 'POST' });
    assert.equal(unknown.statusCode, 404);
    await unknown.body.dump();
  });

  it('is never proxied', async () => {
    for (const u of ups) assert.ok(Object.keys((await u.stats()).byPath).every((p) => !p.startsWith('/_gateway')));
  });

  it('answers non-loopback clients 403 FORBIDDEN unless they send the admin key', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.9' };
    const denied = await request(`${proxied.url}/_gateway/upstreams`, { headers });
    assert.equal(denied.statusCode, 403);
    assert.equal(((await denied.body.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');
    const wrongKey = await request(`${proxied.url}/_gateway/upstreams/${new URL(ups[0]!.url).host}/drain`, {
      method: 'POST',
      headers: { ...headers, authorization: 'Bearer nope' },
    });
    assert.equal(wrongKey.statusCode, 403);
    await wrongKey.body.dump();
    const allowed = await request(`${proxied.url}/_gateway/upstreams`, { headers: { ...headers, authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(allowed.statusCode, 200);
    await allowed.body.dump();
    const local = await request(`${proxied.url}/_gateway/upstreams`);
    assert.equal(local.statusCode, 200, 'a loopback client with no X-Forwarded-For needs no key');
    await local.body.dump();
  });
});
