/** The SDK's retry rules (sdk/src/retry.ts), decision by decision. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY, backoffMs, retryAfterMs, retryDecision } from '../../sdk/src/retry.js';
import type { AttemptResult } from '../../sdk/src/transport.js';

const answer = (status: number, header: Record<string, string> = {}): AttemptResult => ({ kind: 'answer', status, data: {}, header });
const failure = (maybeSent: boolean): AttemptResult => ({ kind: 'failure', code: 'NETWORK', maybeSent, message: 'request:fail' });
const half = () => 0.5;

describe('retryDecision', () => {
  it('retries a 429 of any request after its Retry-After, and fails at once when that is over the cap', () => {
    assert.deepEqual(retryDecision(answer(429, { 'Retry-After': '2' }), 1, false, DEFAULT_RETRY), { retry: true, delayMs: 2_000 });
    assert.deepEqual(retryDecision(answer(429, { 'retry-after': '11' }), 1, false, DEFAULT_RETRY), { retry: false });
  });

  it('retries 502/503/504 only for safe requests, honouring Retry-After', () => {
    assert.deepEqual(retryDecision(answer(503, { 'retry-after': '1' }), 1, true, DEFAULT_RETRY), { retry: true, delayMs: 1_000 });
    assert.deepEqual(retryDecision(answer(503), 1, false, DEFAULT_RETRY), { retry: false });
    assert.equal(retryDecision(answer(502), 2, true, DEFAULT_RETRY, half).retry, true);
  });

  it('never retries other answers', () => {
    for (const status of [200, 204, 400, 401, 404, 412, 500])
      assert.deepEqual(retryDecision(answer(status), 1, true, DEFAULT_RETRY), { retry: false });
  });

  it('retries a request that never left whatever it is, and one that may have arrived only when safe', () => {
    assert.equal(retryDecision(failure(false), 1, false, DEFAULT_RETRY, half).retry, true);
    assert.equal(retryDecision(failure(true), 1, false, DEFAULT_RETRY, half).retry, false);
    assert.equal(retryDecision(failure(true), 1, true, DEFAULT_RETRY, half).retry, true);
  });

  it('makes at most maxAttempts (3) attempts', () => {
    assert.equal(retryDecision(failure(false), 2, true, DEFAULT_RETRY, half).retry, true);
    assert.equal(retryDecision(failure(false), 3, true, DEFAULT_RETRY, half).retry, false);
    assert.equal(retryDecision(answer(429, { 'retry-after': '0' }), 3, true, DEFAULT_RETRY).retry, false);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt up to the cap, with half of each step random', () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffMs(n, DEFAULT_RETRY, () => 0)),
      [150, 300, 600],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffMs(n, DEFAULT_RETRY, () => 1)),
      [300, 600, 1_200],
    );
    assert.equal(
      backoffMs(20, DEFAULT_RETRY, () => 1),
      DEFAULT_RETRY.maxDelayMs,
    );
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    assert.equal(retryAfterMs('3'), 3_000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', Date.UTC(2026, 0, 1)), 5_000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', Date.UTC(2027, 0, 1)), 0);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });
});
