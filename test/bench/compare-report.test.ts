/**
 * bench/compare's arithmetic: the summary of a system's runs, the targets read
 * from it, and what the kill-node scenario reads from `/_gateway/upstreams` (whom to
 * kill, what it held, when the system is whole again). No process is started.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunRow } from '../../bench/compare/measure.js';
import type { Scenario, SystemName } from '../../bench/compare/names.js';
import { atFullStrength, connectionsNote, identity, pickVictim, type UpstreamView } from '../../bench/compare/recovery.js';
import { cpuContext, errorsCell, machineLoad, scalingRow, summarize, targets, type Target } from '../../bench/compare/report.js';

function row(system: SystemName, scenario: Scenario, rps: number, p99Ms: number, extra: Partial<RunRow> = {}): RunRow {
  return {
    system,
    scenario,
    reqPerSec: rps,
    p50Ms: p99Ms / 4,
    p99Ms,
    errors: 0,
    run: 1,
    p999Ms: p99Ms * 2,
    requests: rps * 10,
    badStatus: 0,
    socketErrors: 0,
    cpuSec: { nodes: 10, wrk: 2 },
    wallSec: 10,
    foreignCpu: 0,
    nodes: 2,
    ...extra,
  };
}

const byWhat = (list: Target[]) => Object.fromEntries(list.map((t) => [t.what, t]));

test('the throughput targets compare the one-hop default with the peers measured in the same run', () => {
  const rows = [
    row('miniscale', 'read', 13_000, 20),
    row('seed-php', 'read', 3_000, 50),
    row('node-naive', 'read', 10_500, 40),
    row('miniscale-gateway', 'read', 100_000, 1), // another system: never decides a one-hop target
    row('miniscale', 'write', 5_000, 30),
    row('seed-php', 'write', 3_000, 50),
    row('miniscale', 'mixed', 9_000, 30),
    row('seed-php', 'mixed', 3_000, 50),
  ];
  const t = byWhat(targets(summarize(rows)));
  assert.equal(t['read: req/s ≥ 4× seed-php']!.met, true);
  assert.equal(t['read: req/s ≥ 4× seed-php']!.measured, '4.33× (13,000 vs 3,000 req/s)');
  assert.equal(t['read: req/s ≥ 1.3× node-naive']!.met, false); // 1.24×
  assert.equal(t["read: p99 ≤ ½ seed-php's"]!.met, true); // 20 ≤ 25
  assert.equal(t['write (embedded, fsync before the answer): req/s ≥ 2× seed-php']!.met, false); // 1.67×
  assert.equal(t['mixed: req/s ≥ 3× seed-php']!.met, true); // exactly 3×
});

test('a target whose rows were not measured (an --only run) is left out, not missed', () => {
  const t = targets(summarize([row('miniscale', 'read', 13_000, 20)]));
  assert.deepEqual(t, []);
});

test('kill node: the one-hop failures are held against the connections the killed worker held, summed over rounds', () => {
  const rows = [
    row('miniscale', 'kill-node', 9_000, 30, { run: 1, errors: 31, heldConnections: 32, recoveryMs: 1_400 }),
    row('miniscale', 'kill-node', 9_000, 30, { run: 2, errors: 33, heldConnections: 32, recoveryMs: 2_600 }),
    row('miniscale-gateway', 'kill-node', 5_000, 30, { recoveryMs: 2_000 }),
  ];
  const summaries = summarize(rows);
  const one = summaries.find((s) => s.system === 'miniscale')!;
  assert.equal(one.errors, 64);
  assert.equal(one.heldConnections, 64);
  assert.equal(one.recoveryMs, 2_600, 'the slowest recovery, not the median');
  assert.equal(errorsCell(one), '64 (held 64; back in 2.6 s)');
  const t = byWhat(targets(summaries));
  assert.equal(t['kill node: failed requests ≤ the connections the killed worker held']!.met, true);
  assert.equal(t['kill node: back at full strength ≤ 3 s']!.met, true);
  assert.equal(t['kill node: back at full strength ≤ 3 s']!.measured, '2.6 s (slowest of 2)');
  assert.equal(t['kill node: miniscale-gateway keeps 0 failed GETs']!.met, true);
});

test('kill node: one failure more than the held connections, a recovery over 3 s, or none at all, is missed', () => {
  const late = targets(
    summarize([
      row('miniscale', 'kill-node', 9_000, 30, { errors: 33, heldConnections: 32, recoveryMs: 3_100 }),
      row('miniscale-gateway', 'kill-node', 5_000, 30, { errors: 1, recoveryMs: 2_000 }),
    ]),
  );
  const t = byWhat(late);
  assert.equal(t['kill node: failed requests ≤ the connections the killed worker held']!.met, false);
  assert.equal(t['kill node: back at full strength ≤ 3 s']!.met, false);
  assert.equal(t['kill node: miniscale-gateway keeps 0 failed GETs']!.met, false);

  const never = summarize([row('miniscale', 'kill-node', 9_000, 30, { errors: 0, heldConnections: 32, recoveryMs: null })]);
  assert.equal(never[0]!.recoveryMs, Infinity);
  assert.equal(errorsCell(never[0]!), '0 (held 32; back in > 30 s)');
  assert.equal(byWhat(targets(never))['kill node: back at full strength ≤ 3 s']!.met, false);
});

test("slow node: the gateway's p99 against each nginx round-robin", () => {
  const t = targets(
    summarize([
      row('miniscale-gateway', 'slow-node', 7_000, 30),
      row('seed-php', 'slow-node', 1_700, 120),
      row('node-naive', 'slow-node', 1_800, 80),
    ]),
  );
  assert.deepEqual(
    t.map((x) => [x.what, x.met]),
    [
      ["slow node: gateway p99 ≤ ⅓ of nginx round-robin's (seed-php)", true],
      ["slow node: gateway p99 ≤ ⅓ of nginx round-robin's (node-naive)", false],
    ],
  );
});

test('CPU per request counts every group of the system but wrk and the delay proxy', () => {
  const [s] = summarize([row('miniscale', 'read', 1_000, 10, { cpuSec: { nodes: 4, primary: 1, wrk: 3, proxy: 2 }, requests: 10_000 })]);
  assert.equal(s!.cpuUsPerRequest, 500);
});

test('scaling takes the medians of its runs, and splits the CPU between up (primary or gateway) and its nodes', () => {
  const runs = [
    row('miniscale', 'read', 12_000, 20, { cpuSec: { nodes: 15, primary: 1, wrk: 3 }, wallSec: 10 }),
    row('miniscale', 'read', 9_000, 20, { cpuSec: { nodes: 12, primary: 1, wrk: 3 }, wallSec: 10 }),
    row('miniscale', 'read', 14_000, 20, { cpuSec: { nodes: 16, primary: 1, wrk: 3 }, wallSec: 10 }),
  ];
  const r = scalingRow('one-hop', 2, runs);
  assert.equal(r.reqPerSec, 12_000);
  assert.equal(r.frontCores, 0.1);
  assert.equal(r.nodeCores, 1.5);
  const g = scalingRow('gateway', 2, [row('miniscale-gateway', 'read', 5_000, 40, { cpuSec: { nodes: 6, gateway: 9 }, wallSec: 10 })]);
  assert.equal(g.frontShare, 0.6);
  // Two runs: their mean, not the faster one.
  const two = scalingRow('one-hop', 1, runs.slice(0, 2));
  assert.equal(two.reqPerSec, 10_500);
});

const worker = (pid: number, nodeId: string, connections: number, state = 'healthy'): UpstreamView => ({
  url: 'http://127.0.0.1:8080',
  nodeId,
  pid,
  state,
  requests: 0,
  connections,
});

test("the victim is a worker that did not answer the question, so all it holds is the load's", () => {
  const ups = [worker(10, 'node-a', 33), worker(11, 'node-b', 32)];
  assert.deepEqual(pickVictim(ups, 'node-a'), { pid: 11, nodeId: 'node-b', heldConnections: 32 });
  assert.deepEqual(pickVictim(ups, 'node-b'), { pid: 10, nodeId: 'node-a', heldConnections: 33 });
  // One worker: it answered, so the question's own connection is not counted.
  assert.deepEqual(pickVictim([worker(10, 'node-a', 65)], 'node-a'), { pid: 10, nodeId: 'node-a', heldConnections: 64 });
  assert.throws(() => pickVictim([worker(10, 'node-a', 65, 'draining')], 'node-b'), /no healthy worker/);
});

test('full strength: every worker back in rotation, one of them new (one hop: by PID; the gateway: by URL)', () => {
  const before = new Set([worker(10, 'a', 32), worker(11, 'b', 32)].map(identity));
  assert.equal(atFullStrength([worker(10, 'a', 64)], 2, before), false, 'the survivor alone');
  assert.equal(atFullStrength([worker(10, 'a', 64), worker(11, 'b', 0)], 2, before), false, 'the victim still listed');
  assert.equal(atFullStrength([worker(10, 'a', 64), worker(12, 'c', 0, 'unhealthy')], 2, before), false);
  assert.equal(atFullStrength([worker(10, 'a', 64), worker(12, 'c', 0)], 2, before), true);

  const node = (url: string, state: string): UpstreamView => ({ url, state, requests: 0 });
  const gwBefore = new Set(['http://127.0.0.1:1', 'http://127.0.0.1:2']);
  assert.equal(atFullStrength([node('http://127.0.0.1:1', 'healthy'), node('http://127.0.0.1:3', 'slow-start')], 2, gwBefore), true);
  assert.equal(atFullStrength([node('http://127.0.0.1:1', 'healthy'), node('http://127.0.0.1:2', 'ejected')], 2, gwBefore), false);
});

test("the connections note leaves out the question's own connection and marks the replacement", () => {
  const before = new Set([worker(10, 'a', 0), worker(11, 'b', 0)].map(identity));
  assert.equal(connectionsNote([worker(10, 'a', 65), worker(12, 'c', 0)], 'a', before), '64 · 0 (new)');
});

test('the machine-load line says how busy the machine was before the runs, and which rows it skews', () => {
  const rows = [0.02, 0.05, 0.6, null].map((foreignCpu) => row('miniscale', 'read', 1, 1, { foreignCpu }));
  assert.equal(
    machineLoad(rows),
    'machine load: other processes used 5 % of the CPU before a run (median; worst 60 %); 1 of 3 runs started with more than 25 % taken — those rows are skewed',
  );
  assert.match(machineLoad([row('miniscale', 'read', 1, 1, { foreignCpu: null })]), /not measured/);
});

test("the CPU context puts the one-hop default's CPU per request next to each peer's", () => {
  const cpu = (system: SystemName, us: number) => row(system, 'read', 1_000, 10, { cpuSec: { nodes: us / 100, wrk: 5 }, requests: 10_000 });
  assert.deepEqual(
    cpuContext(summarize([cpu('miniscale', 45), cpu('seed-php', 250), cpu('node-naive', 60), cpu('miniscale-gateway', 190)])),
    ["read: 45 µs = 0.18× seed-php's (250), 0.75× node-naive's (60)"],
  );
});
