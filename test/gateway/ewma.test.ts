/** Peak EWMA: how a latency estimate moves on fast and slow answers. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeakEwma } from '../../src/gateway/upstreams/ewma.js';

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
