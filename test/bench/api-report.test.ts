/**
 * The API benchmark's verdict: req/s and server CPU per request of the
 * embedded GET against the peer's, each ratio taken within one round, then the median.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMBEDDED, PEER, REDIS, verdict, type Row, type Subject } from '../../bench/api/report.js';

function row(subject: Subject, round: number, rps: number, serverCores: number | null, non2xx = 0): Row {
  return {
    round,
    subject,
    op: 'read',
    requests: rps * 10,
    rps,
    p50Ms: 1,
    p99Ms: 3,
    p999Ms: 5,
    badStatus: non2xx,
    socketErrors: 0,
    serverCores,
    redisCores: null,
    foreignCpu: 0,
  };
}

test('req/s and CPU per request are paired within each round', () => {
  // Round 2 ran on a slower machine: both sides slowed, the ratios did not.
  const rows = [
    row(PEER, 1, 40_000, 1),
    row(EMBEDDED, 1, 36_000, 0.99),
    row(PEER, 2, 20_000, 1),
    row(EMBEDDED, 2, 18_000, 0.99),
    row(REDIS, 1, 1, 1),
  ];
  const v = verdict(rows)!;
  assert.deepEqual(v.perRound, [0.9, 0.9]);
  assert.deepEqual(
    v.cpuPerRound.map((x) => Number(x.toFixed(3))),
    [1.1, 1.1],
  );
  assert.equal(v.pass, true);
});

test('either target missed, an error in any run, or no CPU reading is not a pass', () => {
  assert.equal(verdict([row(PEER, 1, 40_000, 1), row(EMBEDDED, 1, 30_000, 0.5)])!.pass, false, 'req/s');
  assert.equal(verdict([row(PEER, 1, 40_000, 1), row(EMBEDDED, 1, 40_000, 1.2)])!.pass, false, 'CPU');
  assert.equal(verdict([row(PEER, 1, 40_000, 1), row(EMBEDDED, 1, 40_000, 1, 3)])!.valid, false, 'errors');
  const blind = verdict([row(PEER, 1, 40_000, null), row(EMBEDDED, 1, 40_000, 1)])!;
  assert.equal(blind.cpuRatio, null);
  assert.equal(blind.pass, false);
});
