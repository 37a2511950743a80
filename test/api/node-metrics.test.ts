import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, NodeMetrics } from '../../src/api/metrics.js';

const REQUESTS = 'miniscale_http_requests_total';
const DURATION = 'miniscale_http_request_duration_seconds';

/** What the node recorded before: prom-client's own Counter and Histogram, fed per request. */
function reference(nodeId: string) {
  const registry = new Registry();
  const requests = new Counter({
    name: REQUESTS,
    help: 'HTTP requests answered, by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: DURATION,
    help: 'Time to answer, by route',
    labelNames: ['method', 'route'],
    registers: [registry],
    buckets: [...DURATION_BUCKETS],
  });
  registry.setDefaultLabels({ node: nodeId });
  return {
    registry,
    observe(method: string, route: string, status: number, ms: number) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, ms / 1000);
    },
  };
}

/** The exposition text of the two request metrics only (the node also exports process metrics). */
async function requestMetricsText(registry: Registry): Promise<string> {
  return (await Promise.all([REQUESTS, DURATION].map((name) => registry.getSingleMetricAsString(name)))).join('\n');
}

async function requestMetricsJson(registry: Registry): Promise<unknown[]> {
  return (await registry.getMetricsAsJSON()).filter((m) => m.name === REQUESTS || m.name === DURATION);
}

/** Requests in an order where a new label set appears between two of an older one. */
const REQUESTS_SEEN: Array<[string, string, number, number]> = [
  ['GET', '/v1/me/kv/:key', 200, 0.4],
  ['PUT', '/v1/me/kv/:key', 200, 3.1],
  ['GET', 'unmatched', 404, 0.05],
  ['GET', '/v1/me/kv/:key', 404, 1],
  ['GET', '/v1/me/kv/:key', 200, 2.5],
  ['GET', '/v1/me/kv/:key', 200, 12_000],
  ['POST', '/v1/auth/login', 429, 0.999],
  ['GET', '/v1/me/kv/:key', 200, 0],
  ['PUT', '/v1/me/kv/:key', 412, 25],
];

describe('node request metrics', () => {
  it('export the same text and JSON as prom-client fed on every request, scraped in between too', async () => {
    const ref = reference('n1');
    const node = new NodeMetrics('n1');
    for (const [i, [method, route, status, ms]] of REQUESTS_SEEN.entries()) {
      ref.observe(method, route, status, ms);
      node.observeRequest(method, route, status, ms);
      if (i === 3 || i === 4) assert.equal(await requestMetricsText(node.registry), await requestMetricsText(ref.registry));
    }
    assert.equal(await requestMetricsText(node.registry), await requestMetricsText(ref.registry));
    assert.deepEqual(await requestMetricsJson(node.registry), await requestMetricsJson(ref.registry));
    assert.match(
      await node.registry.metrics(),
      /miniscale_http_requests_total\{method="GET",route="\/v1\/me\/kv\/:key",status="200",node="n1"\} 4/,
    );
  });

  it('the request counter read directly (as a worker reports it) includes every request recorded', async () => {
    const node = new NodeMetrics('n1');
    for (const [method, route, status, ms] of REQUESTS_SEEN) node.observeRequest(method, route, status, ms);
    const metric = node.registry.getSingleMetric(REQUESTS)!;
    const values = (await metric.get()).values;
    assert.equal(
      values.reduce((n, v) => n + v.value, 0),
      REQUESTS_SEEN.length,
    );
  });

  it("durations observed through prom-client's observe(labels, seconds) are exported the same way", async () => {
    const ref = new Histogram({
      name: DURATION,
      help: 'Time to answer, by route',
      labelNames: ['method', 'route'],
      registers: [],
      buckets: [...DURATION_BUCKETS],
    });
    const node = new NodeMetrics('n1');
    for (const [method, route, , ms] of REQUESTS_SEEN) {
      ref.observe({ method, route }, ms / 1000);
      node.duration.observe({ method, route }, ms / 1000);
    }
    assert.deepEqual(await node.duration.get(), await ref.get());
  });

  it('reset starts the durations from nothing, as prom-client does', async () => {
    const ref = reference('n1');
    const node = new NodeMetrics('n1');
    for (const [method, route, status, ms] of REQUESTS_SEEN) {
      ref.observe(method, route, status, ms);
      node.observeRequest(method, route, status, ms);
    }
    ref.registry.resetMetrics();
    node.registry.resetMetrics();
    assert.equal(await requestMetricsText(node.registry), await requestMetricsText(ref.registry));
    for (const [method, route, status, ms] of REQUESTS_SEEN.slice(4)) {
      ref.observe(method, route, status, ms);
      node.observeRequest(method, route, status, ms);
    }
    assert.equal(await requestMetricsText(node.registry), await requestMetricsText(ref.registry));
  });
});
