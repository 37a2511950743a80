import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_RESET_MS, RESTART_MAX_MS, RestartBackoff } from '../../src/core/backoff.js';

describe('restart back-off', () => {
  it('doubles from 0.5 s while a process keeps crashing, capped at 10 s', () => {
    const b = new RestartBackoff();
    const delays = Array.from({ length: 8 }, () => b.next(1_000));
    assert.deepEqual(delays, [500, 1_000, 2_000, 4_000, 8_000, RESTART_MAX_MS, RESTART_MAX_MS, RESTART_MAX_MS]);
    assert.equal(b.streak, 8);
    assert.equal(b.restarts, 8);
  });

  it('starts over after a process was up for a minute, and keeps counting restarts', () => {
    const b = new RestartBackoff();
    b.next(0);
    b.next(0);
    assert.equal(b.next(HEALTHY_RESET_MS), 500);
    assert.equal(b.streak, 1);
    assert.equal(b.restarts, 3);
  });
});
