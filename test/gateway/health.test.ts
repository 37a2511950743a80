/** Upstream health: the state machine, ejection by failures and by latency outliers. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyOutlierDetector } from '../../src/gateway/health/latency-outliers.js';
import { createLogger } from '../../src/core/logging.js';
import { UpstreamHealth } from '../../src/gateway/health/state.js';
import { Upstream } from '../../src/gateway/upstreams/upstream.js';
import { policy, upstreams } from './fixtures.js';

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
