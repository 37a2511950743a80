/** The retry budget: retries as a bounded share of requests. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBudget } from '../../src/gateway/proxy/retry-budget.js';

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
