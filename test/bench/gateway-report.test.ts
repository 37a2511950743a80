/**
 * The gateway benchmark's arithmetic: ratios are taken between the two runs of one round
 * (never across rounds), their median decides a target, and failures add up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairedRatio, SCENARIOS, summarize, targets, type LbName, type Row } from '../../bench/gateway/report.js';

function row(lb: LbName, round: number, rps: number, p99Ms: number, failures = 0, scenario: Row['scenario'] = SCENARIOS.a): Row {
  return {
    scenario,
    lb,
    round,
    requests: rps * 10,
    rps,
    p50Ms: p99Ms / 3,
    p99Ms,
    p999Ms: p99Ms * 2,
    badStatus: failures,
    socketErrors: 0,
    times: { p50Ms: p99Ms / 3, p90Ms: p99Ms / 2, p99Ms, p999Ms: p99Ms * 2, timed: rps * 10, untimed: 0 },
    foreignCpu: 0,
  };
}

const G: LbName = 'miniscale gateway';
const N: LbName = 'nginx (keepalive)';

test('ratios pair the runs of one round, whatever order the rows are in', () => {
  // The machine got 2× slower in round 2: both balancers slowed, the ratio did not.
  const rows = [row(G, 1, 10_000, 12), row(N, 2, 10_000, 16), row(N, 1, 20_000, 8), row(G, 2, 5_000, 24)];
  const r = pairedRatio(rows, SCENARIOS.a, (x) => x.rps);
  assert.deepEqual(r?.rounds, [0.5, 0.5]);
  const p = pairedRatio(rows, SCENARIOS.a, (x) => x.times!.p99Ms);
  assert.deepEqual(p?.rounds, [1.5, 1.5]);
  assert.equal(p?.median, 1.5);
});

test('a round without its partner run is left out', () => {
  const rows = [row(G, 1, 10_000, 12), row(N, 1, 20_000, 8), row(G, 2, 1, 1_000)];
  assert.deepEqual(pairedRatio(rows, SCENARIOS.a, (x) => x.rps)?.rounds, [0.5]);
  assert.equal(
    pairedRatio(rows, SCENARIOS.b, (x) => x.rps),
    undefined,
  );
});

test('the targets take the median round: one bad round does not decide', () => {
  const rows = [
    row(G, 1, 9_000, 15),
    row(N, 1, 20_000, 9), // p99 1.67×
    row(G, 2, 8_000, 30),
    row(N, 2, 20_000, 10), // p99 3×: a noisy round
    row(G, 3, 9_500, 14),
    row(N, 3, 21_000, 8), // p99 1.75×
  ];
  const byName = Object.fromEntries(targets(rows).map((t) => [t.name, t]));
  const p99 = byName['(a) gateway p99 ≤ 2 × nginx']!;
  assert.equal(p99.pass, true);
  assert.match(p99.measured, /^1\.75× \(1\.67–3\.00 over 3 rounds\)$/);
  assert.equal(byName['(a) gateway req/s ≥ 0.4 × nginx']!.pass, true);

  const worse = [...rows, row(G, 4, 8_000, 30), row(N, 4, 20_000, 10), row(G, 5, 8_000, 30), row(N, 5, 20_000, 10)];
  assert.equal(targets(worse).find((t) => t.name === '(a) gateway p99 ≤ 2 × nginx')!.pass, false);
});

test('failures are summed over the rounds, and the summary takes medians', () => {
  const c = SCENARIOS.c;
  const rows = [row(G, 1, 9_000, 15, 0, c), row(N, 1, 20_000, 9, 2, c), row(G, 2, 7_000, 17, 3, c), row(N, 2, 22_000, 9, 0, c)];
  const t = targets(rows).find((x) => x.name.startsWith('(c)'))!;
  assert.equal(t.measured, '3 vs 2 over 2 rounds');
  assert.equal(t.pass, false);
  const s = summarize(rows).find((x) => x.lb === G)!;
  assert.equal(s.rps, 8_000);
  assert.equal(s.failed, 3);
  assert.equal(s.rounds, 2);
});
