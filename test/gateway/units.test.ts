/**
 * The gateway's small parts on their own: pickers, peak EWMA, health state machine,
 * retry budget, header passes, trust-proxy resolution, option checks. No network.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { PeakEwma } from '../../src/gateway/ewma.js';
import { LatencyOutlierDetector } from '../../src/gateway/health/latency-outliers.js';
import { createLogger } from '../../src/core/logging.js';
import { UpstreamHealth, type HealthPolicy } from '../../src/gateway/health/state.js';
import { isLoopbackHost } from '../../src/gateway/admin.js';
import { resolveOptions, parseHashKey } from '../../src/gateway/options.js';
import { ConsistentHashPicker, LeastConnPicker, P2cEwmaPicker, RoundRobinPicker } from '../../src/gateway/pickers/index.js';
import { cost } from '../../src/gateway/pickers/p2c-ewma.js';
import { resolveClient, TrustedProxies } from '../../src/gateway/proxy/forwarded.js';
import { connectionNamed, responseHeaders } from '../../src/gateway/proxy/hop-by-hop.js';
import { idempotent, REPLAYABLE_BODY_BYTES } from '../../src/gateway/proxy/passes.js';
import { mayReplay } from '../../src/gateway/proxy/retry-policy.js';
import type { ProxyContext } from '../../src/gateway/proxy/context.js';
import { RetryBudget } from '../../src/gateway/retry-budget.js';
import { Upstream } from '../../src/gateway/upstream.js';
import { mergeViews } from '../../src/gateway/workers/merge.js';
import { workerEnv } from '../../src/gateway/workers/link.js';

const policy: HealthPolicy = {
  ejectAfterFailures: 3,
  ejectionBaseMs: 1_000,
  ejectionMaxMs: 8_000,
  slowStartMs: 1_000,
  slowStartMinWeight: 0.1,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

function upstreams(n: number): Upstream[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new Upstream(
        `http://127.0.0.1:${20000 + i}`,
        undefined,
        {
          health: policy,
          pool: { connections: 1, idleMs: 1000, connectTimeoutMs: 1000 },
          ewmaDecayMs: 10_000,
        },
        0,
        { slowStart: false },
      ),
  );
}

describe('pickers', () => {
  it('smooth weighted round-robin rotates evenly over equal nodes', () => {
    const us = upstreams(3);
    const p = new RoundRobinPicker();
    const picks = Array.from({ length: 9 }, () => p.pick(us, { now: 0 }).id);
    assert.deepEqual(picks.slice(0, 3).sort(), us.map((u) => u.id).sort());
    assert.deepEqual(picks.slice(3, 6), picks.slice(0, 3));
  });

  it('round-robin gives a slow-starting node a share proportional to its weight', () => {
    const us = upstreams(2);
    const returning = new UpstreamHealth(policy, 0, { slowStart: true });
    Object.defineProperty(us[1]!, 'health', { value: returning });
    const p = new RoundRobinPicker();
    const counts = new Map<string, number>();
    for (let i = 0; i < 1100; i++) {
      const u = p.pick(us, { now: 0 });
      counts.set(u.id, (counts.get(u.id) ?? 0) + 1);
    }
    // weight 0.1 vs 1: 100 of 1100
    assert.equal(counts.get(us[1]!.id), 100);
  });

  it('least-conn picks the node with the fewest requests in flight', () => {
    const us = upstreams(3);
    us[0]!.inflight = 5;
    us[1]!.inflight = 1;
    us[2]!.inflight = 3;
    const p = new LeastConnPicker();
    for (let i = 0; i < 20; i++) assert.equal(p.pick(us, { now: 0 }).id, us[1]!.id);
  });

  it('p2c-ewma counts a node with no sample but a request in flight as the most costly', () => {
    const [cold, warm] = upstreams(2) as [Upstream, Upstream];
    warm.latency.observe(500, 0);
    warm.inflight = 10;
    cold.inflight = 1;
    assert.equal(cost(cold, 0), Number.MAX_VALUE);
    assert.ok(cost(warm, 0) < cost(cold, 0));
    cold.inflight = 0;
    assert.equal(cost(cold, 0), 0, 'an idle cold node is cheap: it gets tried');
  });

  it('p2c-ewma prefers the faster of the two nodes it samples', () => {
    const us = upstreams(2);
    us[0]!.latency.observe(100, 0);
    us[1]!.latency.observe(1, 0);
    const p = new P2cEwmaPicker();
    for (let i = 0; i < 20; i++) assert.equal(p.pick(us, { now: 1 }).id, us[1]!.id);
  });

  it('consistent hash sends a key to the same node, and only moves the keys of a node that leaves', () => {
    const us = upstreams(4);
    const p = new ConsistentHashPicker(1.25);
    const keys = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const before = keys.map((k) => p.pick(us, { now: 0, hashKey: k }).id);
    assert.deepEqual(
      keys.map((k) => p.pick(us, { now: 0, hashKey: k }).id),
      before,
      'stable',
    );
    const counts = countIds(before);
    for (const u of us) assert.ok((counts[u.id] ?? 0) > 50, `each node owns a fair part of the keys: ${JSON.stringify(counts)}`);
    const gone = us[2]!;
    const after = keys.map(
      (k) =>
        p.pick(
          us.filter((u) => u !== gone),
          { now: 0, hashKey: k },
        ).id,
    );
    keys.forEach((_, i) => {
      if (before[i] !== gone.id) assert.equal(after[i], before[i], 'keys of other nodes stay put');
    });
  });

  it('consistent hash with bounded load spills a hot key over to the next node', () => {
    const us = upstreams(3);
    const p = new ConsistentHashPicker(1.25);
    const home = p.pick(us, { now: 0, hashKey: 'hot' });
    home.inflight = 10; // mean load (10 + 1) / 3 → bound ⌈1.25 × 11 / 3⌉ = 5
    const next = p.pick(us, { now: 0, hashKey: 'hot' });
    assert.notEqual(next.id, home.id);
    home.inflight = 0;
    assert.equal(p.pick(us, { now: 0, hashKey: 'hot' }).id, home.id, 'back home once it is under the bound');
  });
});

describe('peak EWMA', () => {
  it('jumps to a slower sample at once and decays toward faster ones', () => {
    const e = new PeakEwma(1_000);
    e.observe(1, 0);
    e.observe(100, 10);
    assert.equal(e.value(10), 100);
    for (let t = 20; t < 5_000; t += 10) e.observe(1, t);
    assert.ok(e.value(5_000) < 2, `decayed to ${e.value(5_000)}`);
  });

  it('decays toward 0 with no samples, so an avoided node is tried again', () => {
    const e = new PeakEwma(1_000);
    e.observe(100, 0);
    assert.ok(Math.abs(e.value(1_000) - 100 / Math.E) < 1e-9);
  });
});

describe('health state', () => {
  it('ejects after consecutive failures, backs off exponentially, returns half-open through slow start', () => {
    const events: string[] = [];
    const h = new UpstreamHealth(policy, 0, { slowStart: false }, (e) => events.push(e));
    h.onFailure(0);
    h.onSuccess();
    h.onFailure(1);
    h.onFailure(2);
    assert.equal(h.state(2), 'healthy', 'a success resets the streak');
    assert.equal(h.onFailure(3), true);
    assert.equal(h.state(500), 'ejected');
    assert.equal(h.state(1_003), 'slow-start');
    assert.ok(h.weight(1_003) < 0.2);
    assert.equal(h.onFailure(1_100), true, 'half-open: one failure ejects again');
    assert.equal(h.state(1_100 + 1_999), 'ejected', 'for twice as long');
    assert.equal(h.state(1_100 + 2_000), 'slow-start');
    assert.equal(h.state(1_100 + 3_000), 'healthy');
    assert.deepEqual(events, ['ejected', 'returned', 'ejected', 'returned']);
  });

  it('active probes mark a node unhealthy and bring it back through slow start', () => {
    const h = new UpstreamHealth(policy, 0, { slowStart: false });
    h.onProbe(false, 0);
    assert.equal(h.state(0), 'healthy', 'one miss is not enough');
    h.onProbe(false, 1);
    assert.equal(h.state(1), 'unhealthy');
    h.onProbe(true, 2);
    h.onProbe(true, 3);
    assert.equal(h.state(3), 'slow-start');
  });

  it('draining wins over every other state', () => {
    const h = new UpstreamHealth(policy, 0, { slowStart: true });
    h.drainingByRegistry = true;
    assert.equal(h.state(0), 'draining');
    assert.equal(h.eligible(0), false);
  });
});

describe('latency-outlier ejection', () => {
  const detectorPolicy = { intervalMs: 1_000, factor: 3, minExcessMs: 50, minRequests: 5, probes: false };
  const log = createLogger({ component: 'gateway', level: 'silent' });
  /** Gives each upstream `n` answers of the given latency in the current window. */
  function answers(ups: Upstream[], latencies: number[], n = 10): void {
    ups.forEach((u, i) => {
      for (let k = 0; k < n; k++) u.window.add(latencies[i]!);
    });
  }

  it('ejects a node far slower than its peers, and only it', () => {
    const ups = upstreams(3);
    const detector = new LatencyOutlierDetector({ upstreams: ups }, detectorPolicy, log);
    answers(ups, [20, 25, 130]);
    assert.deepEqual(detector.judge(100), [ups[2]]);
    assert.deepEqual(
      ups.map((u) => u.state(100)),
      ['healthy', 'healthy', 'ejected'],
    );
    // The windows were reset: nothing new to judge.
    assert.deepEqual(detector.judge(200), []);
  });

  it('leaves alone small absolute differences, moderate ratios, and thin evidence', () => {
    const ups = upstreams(3);
    const detector = new LatencyOutlierDetector({ upstreams: ups }, detectorPolicy, log);
    answers(ups, [1, 1, 4]); // 4× but 3 ms more: a fast LAN's spread
    assert.deepEqual(detector.judge(100), []);
    answers(ups, [60, 60, 150]); // 90 ms more but only 2.5×: a loaded node, p2c's job
    assert.deepEqual(detector.judge(200), []);
    answers(ups.slice(0, 2), [20, 20]);
    ups[2]!.window.add(500); // one slow answer is not enough outside half-open
    assert.deepEqual(detector.judge(300), []);
  });

  it('never ejects more than a third of the upstreams', () => {
    const two = upstreams(2);
    answers(two, [1, 500]);
    assert.deepEqual(new LatencyOutlierDetector({ upstreams: two }, detectorPolicy, log).judge(100), []);
    const six = upstreams(6);
    answers(six, [10, 10, 10, 400, 500, 600]);
    const ejected = new LatencyOutlierDetector({ upstreams: six }, detectorPolicy, log).judge(100);
    assert.deepEqual(ejected, [six[5], six[4]]); // the slowest first, then the cap (2 of 6)
  });

  it('comes back half-open: one slow answer sends it out again, for twice as long', () => {
    const ups = upstreams(3);
    const detector = new LatencyOutlierDetector({ upstreams: ups }, detectorPolicy, log);
    answers(ups, [10, 10, 200]);
    detector.judge(0);
    assert.equal(ups[2]!.state(999), 'ejected');
    assert.equal(ups[2]!.state(1_000), 'slow-start'); // policy.ejectionBaseMs = 1 s
    assert.equal(ups[2]!.health.halfOpen, true);
    answers(ups.slice(0, 2), [10, 10]);
    ups[2]!.window.add(200);
    assert.deepEqual(detector.judge(1_100), [ups[2]]);
    assert.equal(ups[2]!.state(3_099), 'ejected');
    assert.equal(ups[2]!.state(3_100), 'slow-start');
  });
});

describe('admin: loopback host', () => {
  it('is localhost, 127.x or [::1], with or without a port, and nothing else', () => {
    for (const h of ['localhost', 'LOCALHOST:8080', '127.0.0.1', '127.8.9.10:80', '[::1]', '[::1]:8080'])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of [
      undefined,
      '',
      'evil.example',
      'evil.example:8080',
      '127.0.0.1.evil.example',
      'localhost.evil',
      '10.0.0.1',
      '[::2]:80',
      '1270.0.0.1',
    ]) {
      assert.equal(isLoopbackHost(h), false, String(h));
    }
  });
});

describe('latency-outlier ejection with probes', () => {
  const log = createLogger({ component: 'gateway', level: 'silent' });
  it('keeps a slow node out while its probe is slow, and lets it back once the probe is fast', () => {
    const ups = upstreams(3);
    const detector = new LatencyOutlierDetector(
      { upstreams: ups },
      { intervalMs: 1_000, factor: 3, minExcessMs: 50, minRequests: 5, probes: true },
      log,
    );
    ups.forEach((u, i) => {
      for (let k = 0; k < 10; k++) u.window.add(i === 2 ? 150 : 10);
    });
    assert.deepEqual(detector.judge(0), [ups[2]]);
    ups[0]!.probeMs = 2;
    ups[1]!.probeMs = 3;
    ups[2]!.probeMs = 101;
    // Time is up (1 s), but no user request reaches it: its probe is judged first.
    assert.equal(ups[2]!.state(1_500), 'ejected');
    detector.judge(1_500);
    assert.equal(ups[2]!.state(1_600), 'ejected');
    assert.equal(ups[2]!.state(3_499), 'ejected'); // extended for twice as long (2 s)
    ups[2]!.probeMs = 2; // healed
    detector.judge(3_600);
    assert.equal(ups[2]!.state(3_600), 'slow-start');
    assert.equal(ups[2]!.health.halfOpen, true);
  });
});

describe('retry budget', () => {
  it('allows ratio × requests + min retries over the window, then refuses', () => {
    const b = new RetryBudget({ ratio: 0.2, min: 3, windowMs: 10_000 });
    for (let i = 0; i < 100; i++) b.recordRequest(0);
    let granted = 0;
    while (b.tryAcquire(0)) granted++;
    assert.equal(granted, 23);
  });

  it('forgets requests and retries that left the window', () => {
    const b = new RetryBudget({ ratio: 0, min: 2, windowMs: 1_000 });
    assert.ok(b.tryAcquire(0) && b.tryAcquire(50));
    assert.equal(b.tryAcquire(100), false);
    assert.equal(b.tryAcquire(1_200), true);
  });
});

describe('header passes', () => {
  it('strips hop-by-hop response headers and those named in Connection, keeping repeats', () => {
    const raw = [
      'Connection',
      'x-secret, Keep-Alive',
      'X-Secret',
      '1',
      'Keep-Alive',
      'timeout=5',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'Transfer-Encoding',
      'chunked',
      'X-Request-Id',
      'theirs',
      'Content-Type',
      'text/plain',
    ].map((s) => Buffer.from(s));
    const out = responseHeaders(raw, 'x-secret, Keep-Alive', new Set(['x-request-id']));
    assert.deepEqual(out, ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'text/plain']);
  });

  it('reads the names listed in Connection', () => {
    assert.deepEqual([...connectionNamed(['X-A, x-b', ' X-C '])!], ['x-a', 'x-b', 'x-c']);
    assert.equal(connectionNamed('keep-alive'), undefined);
  });
});

describe('trust proxy', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8', '127.0.0.1/32']);

  it('replaces X-Forwarded-For from an untrusted peer', () => {
    assert.deepEqual(resolveClient('203.0.113.7', '1.2.3.4', trusted), {
      peer: '203.0.113.7',
      client: '203.0.113.7',
      forwardedFor: '203.0.113.7',
      peerTrusted: false,
    });
  });

  it('appends the peer from a trusted proxy and finds the client right to left', () => {
    const r = resolveClient('::ffff:127.0.0.1', '6.6.6.6, 198.51.100.2, 10.1.2.3', trusted);
    assert.equal(r.client, '198.51.100.2');
    assert.equal(r.forwardedFor, '6.6.6.6, 198.51.100.2, 10.1.2.3, 127.0.0.1');
  });
});

describe('retry policy', () => {
  const ctx = (method: string, body: boolean) =>
    ({ method, body: body ? Readable.from([]) : null, idempotent: false }) as unknown as ProxyContext;

  it('replays a request that never reached an upstream, whatever its method', () => {
    assert.equal(mayReplay(ctx('POST', true), false, true), true);
  });

  it('once sent, replays only GET, HEAD and OPTIONS without a body', () => {
    assert.equal(mayReplay(ctx('GET', false), true, false), true);
    assert.equal(mayReplay(ctx('OPTIONS', false), true, false), true);
    assert.equal(mayReplay(ctx('POST', false), true, false), false);
    assert.equal(mayReplay(ctx('PUT', true), true, false), false);
    assert.equal(mayReplay(ctx('DELETE', false), true, false), false);
    assert.equal(mayReplay(ctx('GET', true), true, false), false);
  });
  it('replays a PUT or DELETE the client marked idempotent, once its body is held whole', () => {
    const marked = (method: string, body: Buffer | Readable | null) => ({ method, body, idempotent: true }) as unknown as ProxyContext;
    assert.equal(mayReplay(marked('PUT', Buffer.from('{"a":1}')), true, false), true);
    assert.equal(mayReplay(marked('DELETE', null), true, false), true);
    assert.equal(mayReplay(marked('PUT', Readable.from([])), true, false), false, 'a streamed body is gone once sent');
  });

  it('marks PUT and DELETE with an Idempotency-Key and a small declared body, nothing else', () => {
    const marks = (method: string, headers: Record<string, string>): boolean => {
      const hasBody = headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined;
      const c = { method, req: { headers }, body: hasBody ? Readable.from([]) : null, idempotent: false } as unknown as ProxyContext;
      assert.equal(idempotent.run(c, undefined as never), true, 'the pass never answers the client');
      return c.idempotent;
    };
    const key = { 'idempotency-key': 'k-1' };
    assert.equal(marks('PUT', { ...key, 'content-length': '10' }), true);
    assert.equal(marks('PUT', { ...key, 'content-length': String(REPLAYABLE_BODY_BYTES) }), true);
    assert.equal(marks('DELETE', key), true);
    assert.equal(marks('PUT', { ...key, 'content-length': String(REPLAYABLE_BODY_BYTES + 1) }), false, 'too large to hold');
    assert.equal(marks('PUT', { ...key, 'transfer-encoding': 'chunked' }), false, 'no declared length');
    assert.equal(marks('PUT', { 'content-length': '10' }), false, 'no key');
    assert.equal(marks('PUT', { 'idempotency-key': ' ', 'content-length': '10' }), false, 'an empty key');
    assert.equal(marks('POST', { ...key, 'content-length': '10' }), false, 'a POST never');
    assert.equal(marks('PATCH', { ...key, 'content-length': '10' }), false);
  });
});

describe('options', () => {
  it('refuses what cannot work, naming the flag', () => {
    assert.throws(() => resolveOptions({}), /--upstream/);
    assert.throws(() => resolveOptions({ upstreams: ['ftp://x:1'] }), /http:\/\//);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1/path'] }), /no path/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1', 'http://a:1/'] }), /twice/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], algorithm: 'random' as 'hash' }), /--algorithm/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], trustProxy: ['10.0.0.0/33'] }), /--trust-proxy/);
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], hashKey: { kind: 'ip' } }), /--hash-key only/);
    assert.throws(() => parseHashKey('cookie:x'), /--hash-key/);
    assert.deepEqual(parseHashKey('header:X-User'), { kind: 'header', name: 'x-user' });
    assert.throws(() => resolveOptions({ upstreams: ['http://a:1'], latencyEjectionFactor: 1.2 }), /--latency-ejection/);
    assert.equal(resolveOptions({ upstreams: ['http://a:1'], latencyEjectionFactor: 0 }).latencyEjectionFactor, 0);
  });
});

function countIds(ids: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const id of ids) c[id] = (c[id] ?? 0) + 1;
  return c;
}

describe('merged upstream view of several workers', () => {
  const u = (url: string, state: string, requests: number, ewmaMs: number, inflight = 0, failures = 0) => ({
    url,
    state,
    inflight,
    ewmaMs,
    requests,
    failures,
  });

  it('sums counters, averages latency over the workers that sent anything, shows the least healthy state', () => {
    const merged = mergeViews([
      { algorithm: 'p2c-ewma', upstreams: [u('a', 'healthy', 10, 4, 1, 0), u('b', 'healthy', 5, 6)] },
      { algorithm: 'p2c-ewma', upstreams: [u('a', 'ejected', 20, 8, 2, 5), u('b', 'healthy', 0, 0)] },
      { algorithm: 'p2c-ewma', upstreams: [u('a', 'slow-start', 0, 0), u('b', 'healthy', 1, 2)] },
    ]);
    assert.equal(merged.workers, 3);
    const a = merged.upstreams.find((x) => x.url === 'a')!;
    assert.equal(a.state, 'ejected');
    assert.deepEqual(a.states, { healthy: 1, ejected: 1, 'slow-start': 1 });
    assert.equal(a.requests, 30);
    assert.equal(a.inflight, 3);
    assert.equal(a.failures, 5);
    assert.equal(a.ewmaMs, 6, 'mean of 4 and 8: the worker with no requests knows no latency');
    const b = merged.upstreams.find((x) => x.url === 'b')!;
    assert.equal(b.state, 'healthy');
    assert.equal(b.ewmaMs, 4);
  });

  it('keeps an upstream only some workers know (discovery in progress), and draining wins', () => {
    const merged = mergeViews([
      { algorithm: 'hash', upstreams: [u('a', 'healthy', 1, 1), u('new', 'slow-start', 0, 0)] },
      { algorithm: 'hash', upstreams: [u('a', 'draining', 1, 1)] },
    ]);
    assert.deepEqual(
      merged.upstreams.map((x) => [x.url, x.state]),
      [
        ['a', 'draining'],
        ['new', 'slow-start'],
      ],
    );
    assert.equal(merged.algorithm, 'hash');
  });
});

describe("a forked worker's environment", () => {
  it('reads its number and the drained upstreams, and ignores garbage', () => {
    assert.deepEqual(workerEnv({ MINISCALE_GATEWAY_WORKER: '2', MINISCALE_GATEWAY_DRAINED: '["http://127.0.0.1:9001"]' }), {
      worker: 2,
      drained: ['http://127.0.0.1:9001'],
    });
    assert.deepEqual(workerEnv({ MINISCALE_GATEWAY_DRAINED: '{not json' }), { worker: 0, drained: [] });
    assert.deepEqual(workerEnv({ MINISCALE_GATEWAY_DRAINED: '[1, "a", null]' }), { worker: 0, drained: ['a'] });
  });
});

describe('balancer: panic mode', () => {
  it('picks, when every node is out, those whose probes pass before one that fails them too', async () => {
    const { Balancer } = await import('../../src/gateway/balancer.js');
    const { GatewayMetrics } = await import('../../src/gateway/metrics.js');
    const { Membership } = await import('../../src/gateway/membership.js');
    const settings = { health: policy, pool: { connections: 1, idleMs: 1000, connectTimeoutMs: 1000 }, ewmaDecayMs: 10_000 };
    const membership = new Membership(settings, createLogger({ component: 'gateway', level: 'silent' }), () => undefined);
    const [dead, a, b] = ['http://127.0.0.1:21000', 'http://127.0.0.1:21001', 'http://127.0.0.1:21002'].map((url) =>
      membership.add(url, { slowStart: false }),
    ) as [Upstream, Upstream, Upstream];
    for (const u of [dead, a, b]) for (let i = 0; i < policy.ejectAfterFailures; i++) u.health.onFailure(0);
    for (let i = 0; i < policy.unhealthyThreshold; i++) dead.health.onProbe(false, 0);
    const balancer = new Balancer(membership, new RoundRobinPicker(), new GatewayMetrics(() => membership));
    const picks = Array.from({ length: 20 }, () => balancer.pick({ now: 10 }, []));
    assert.deepEqual(new Set(picks), new Set([a, b]), 'the node failing its probes is left out');
    assert.equal(balancer.pick({ now: 10 }, [a, b]), dead, 'and taken when nothing else is left');
    await membership.close();
  });
});
