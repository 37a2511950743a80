import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gcraNowUs, gcraStep } from '../../src/store/gcra.js';

/** Runs `calls` steps at one instant and counts how many were allowed. */
function burst(limit: number, windowMs: number, calls: number, now = gcraNowUs()): number {
  let tat: number | undefined;
  let allowed = 0;
  for (let i = 0; i < calls; i++) {
    const step = gcraStep(tat, now, limit, windowMs);
    if (step.allowed) {
      allowed++;
      tat = step.newTatUs;
    }
  }
  return allowed;
}

describe('gcra', () => {
  it('allows exactly `limit` at once for limits whose interval is not a whole number of µs', () => {
    for (const [limit, windowMs] of [
      [3, 1000],
      [7, 1000],
      [600, 60_000],
      [6000, 60_000],
      [10_000, 60_000],
      [1, 1],
    ] as const) {
      assert.equal(burst(limit, windowMs, limit * 2), limit, `${limit} per ${windowMs} ms`);
    }
  });

  it('refills one request per window/limit and says when', () => {
    const now = gcraNowUs();
    let tat: number | undefined;
    for (let i = 0; i < 4; i++) tat = gcraStep(tat, now, 4, 1000).newTatUs;
    const refused = gcraStep(tat, now, 4, 1000);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterMs, 250);
    assert.equal(gcraStep(tat, now + 249_000, 4, 1000).allowed, false);
    const later = gcraStep(tat, now + 250_000, 4, 1000);
    assert.equal(later.allowed, true);
    assert.equal(later.remaining, 0);
  });

  it('a key idle for a whole window starts a fresh burst', () => {
    const now = gcraNowUs();
    let tat: number | undefined;
    for (let i = 0; i < 5; i++) tat = gcraStep(tat, now, 5, 1000).newTatUs;
    assert.equal(gcraStep(tat, now + 1_000_000, 5, 1000).remaining, 4);
  });
});
