/**
 * The comparison's table (medians of each system × scenario's runs, ratios to the seed
 * stack as written), the issue's targets checked against it, and the scaling table.
 * Pure arithmetic and printing: it loads none of the code that starts processes.
 */
import { fmt, median, printMarkdownTable, ratio } from '../support/table.js';
import type { RunRow } from './measure.js';
import { SCENARIOS, SYSTEMS, type Scenario, type SystemName, type Topology } from './names.js';

export interface Summary {
  system: SystemName;
  scenario: Scenario;
  runs: number;
  nodes: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Summed over runs, not a median: one failed request matters. */
  errors: number;
  requests: number;
  /** Median CPU seconds per group. */
  cpuSec: Record<string, number>;
  /**
   * The system's CPU per answered request, every group but wrk and the slow-node delay
   * proxy (median over runs): what the work costs, whoever got the core.
   */
  cpuUsPerRequest: number;
  /** kill-node: the slowest recovery over the runs (Infinity: a run's did not come within 30 s); null where none is measured. */
  recoveryMs: number | null;
  /** kill-node, one hop: the connections the killed workers held, summed over runs like `errors`. */
  heldConnections: number | null;
}

export function summarize(rows: RunRow[]): Summary[] {
  const out: Summary[] = [];
  for (const scenario of SCENARIOS) {
    for (const system of SYSTEMS) {
      const runs = rows.filter((r) => r.system === system && r.scenario === scenario);
      if (runs.length === 0) continue;
      const groups = [...new Set(runs.flatMap((r) => Object.keys(r.cpuSec)))];
      const recoveries = runs.filter((r) => r.recoveryMs !== undefined).map((r) => r.recoveryMs ?? Infinity);
      const held = runs.filter((r) => r.heldConnections !== undefined);
      out.push({
        system,
        scenario,
        runs: runs.length,
        nodes: runs[0]!.nodes,
        reqPerSec: median(runs.map((r) => r.reqPerSec)),
        p50Ms: median(runs.map((r) => r.p50Ms)),
        p99Ms: median(runs.map((r) => r.p99Ms)),
        p999Ms: median(runs.map((r) => r.p999Ms)),
        errors: runs.reduce((n, r) => n + r.errors, 0),
        requests: runs.reduce((n, r) => n + r.requests, 0),
        cpuSec: Object.fromEntries(groups.map((g) => [g, median(runs.map((r) => r.cpuSec[g] ?? NaN))])),
        cpuUsPerRequest: median(runs.map(systemCpuUsPerRequest)),
        recoveryMs: recoveries.length ? Math.max(...recoveries) : null,
        heldConnections: held.length ? held.reduce((n, r) => n + r.heldConnections!, 0) : null,
      });
    }
  }
  return out;
}

function systemCpuUsPerRequest(r: RunRow): number {
  const sec = Object.entries(r.cpuSec)
    .filter(([g]) => g !== 'wrk' && g !== 'proxy')
    .reduce((n, [, v]) => n + v, 0);
  return r.requests ? (sec * 1e6) / r.requests : NaN;
}

const seedOf = (all: Summary[], s: Summary) => all.find((x) => x.system === 'seed-php' && x.scenario === s.scenario);

function seconds(ms: number): string {
  return Number.isFinite(ms) ? `${fmt(ms / 1000, 1)} s` : '> 30 s';
}

/** The errors cell: the failures, and for kill-node what the killed worker held and when the system was whole again. */
export function errorsCell(s: Summary): string {
  const extra = [
    ...(s.heldConnections != null ? [`held ${s.heldConnections}`] : []),
    ...(s.recoveryMs != null ? [`back in ${seconds(s.recoveryMs)}`] : []),
  ];
  return `${s.errors}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

export function printTable(all: Summary[]): void {
  const head = [
    'scenario',
    'system',
    'nodes',
    'req/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'errors',
    'CPU s per group',
    'CPU µs/req',
    'req/s vs seed',
    'p99 vs seed',
  ];
  const body = all.map((s) => {
    const seed = seedOf(all, s);
    const cpu = Object.entries(s.cpuSec)
      .map(([g, v]) => `${g} ${fmt(v, 1)}`)
      .join(' · ');
    return [
      s.scenario,
      s.system,
      String(s.nodes),
      fmt(s.reqPerSec, 0),
      fmt(s.p50Ms, 2),
      fmt(s.p99Ms, 1),
      fmt(s.p999Ms, 1),
      errorsCell(s),
      cpu,
      fmt(s.cpuUsPerRequest, 0),
      seed ? ratio(s.reqPerSec, seed.reqPerSec) : '—',
      seed ? ratio(s.p99Ms, seed.p99Ms) : '—',
    ];
  });
  printMarkdownTable(head, body, [false, false, true, true, true, true, true, true, false, true, true, true]);
}

export interface Target {
  what: string;
  measured: string;
  met: boolean;
}

/** The one-hop default, which the throughput and kill-node targets are about. */
const ONE_HOP: SystemName = 'miniscale';
/** Back at full strength after a worker is SIGKILLed, at most. */
export const RECOVERY_TARGET_MS = 3_000;
const PEERS = ['seed-php', 'seed-php-keepalive', 'node-naive'] as const;

/**
 * Issue 15's targets (reported, not asserted), each from the medians of one run of the
 * benchmark — every system measured side by side. A target whose rows are missing (a
 * `--only` run) is left out.
 */
export function targets(all: Summary[]): Target[] {
  const get = (system: SystemName, scenario: Scenario) => all.find((s) => s.system === system && s.scenario === scenario);
  const out: Target[] = [];
  const rps = (what: string, scenario: Scenario, peer: SystemName, times: number) => {
    const ours = get(ONE_HOP, scenario);
    const theirs = get(peer, scenario);
    if (!ours || !theirs) return;
    out.push({
      what,
      met: ours.reqPerSec >= times * theirs.reqPerSec,
      measured: `${ratio(ours.reqPerSec, theirs.reqPerSec)} (${fmt(ours.reqPerSec, 0)} vs ${fmt(theirs.reqPerSec, 0)} req/s)`,
    });
  };
  rps('read: req/s ≥ 4× seed-php', 'read', 'seed-php', 4);
  rps('read: req/s ≥ 1.3× node-naive', 'read', 'node-naive', 1.3);
  const read = get(ONE_HOP, 'read');
  const seedRead = get('seed-php', 'read');
  if (read && seedRead) {
    out.push({
      what: "read: p99 ≤ ½ seed-php's",
      met: read.p99Ms <= seedRead.p99Ms / 2,
      measured: `${ratio(read.p99Ms, seedRead.p99Ms)} (${fmt(read.p99Ms, 1)} vs ${fmt(seedRead.p99Ms, 1)} ms)`,
    });
  }
  rps('write (embedded, fsync before the answer): req/s ≥ 2× seed-php', 'write', 'seed-php', 2);
  rps('mixed: req/s ≥ 3× seed-php', 'mixed', 'seed-php', 3);

  const kill = get(ONE_HOP, 'kill-node');
  if (kill) {
    const held = kill.heldConnections;
    out.push({
      what: 'kill node: failed requests ≤ the connections the killed worker held',
      met: held !== null && kill.errors <= held,
      measured: `${kill.errors} failed of ${kill.requests}, the killed worker${kill.runs > 1 ? 's' : ''} held ${held ?? 'n/a'}`,
    });
    out.push({
      what: `kill node: back at full strength ≤ ${RECOVERY_TARGET_MS / 1000} s`,
      met: kill.recoveryMs !== null && kill.recoveryMs <= RECOVERY_TARGET_MS,
      measured:
        kill.recoveryMs === null ? 'not measured' : `${seconds(kill.recoveryMs)}${kill.runs > 1 ? ` (slowest of ${kill.runs})` : ''}`,
    });
  }
  const gatewayKill = get('miniscale-gateway', 'kill-node');
  if (gatewayKill)
    out.push({
      what: 'kill node: miniscale-gateway keeps 0 failed GETs',
      measured: `${gatewayKill.errors} of ${gatewayKill.requests}`,
      met: gatewayKill.errors === 0,
    });

  const slow = get('miniscale-gateway', 'slow-node');
  for (const peer of PEERS) {
    const nginx = get(peer, 'slow-node');
    if (slow && nginx) {
      out.push({
        what: `slow node: gateway p99 ≤ ⅓ of nginx round-robin's (${peer})`,
        met: slow.p99Ms <= nginx.p99Ms / 3,
        measured: `${ratio(slow.p99Ms, nginx.p99Ms)} (${fmt(slow.p99Ms, 1)} vs ${fmt(nginx.p99Ms, 1)} ms)`,
      });
    }
  }
  return out;
}

export function printTargets(list: Target[]): void {
  console.log(`\ntargets (on the one-hop default \`${ONE_HOP}\` unless named; medians of this run, reported, not asserted):`);
  for (const t of list) console.log(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.what}: ${t.measured}`);
}

/**
 * CPU per request of the one-hop default next to the peers', per throughput scenario:
 * not a target, but the figure a busy machine moves least (req/s depends on who got the
 * cores; the work per request does not), so it says which way a skewed row would go.
 */
export function cpuContext(all: Summary[]): string[] {
  const get = (system: SystemName, scenario: Scenario) => all.find((s) => s.system === system && s.scenario === scenario);
  const out: string[] = [];
  for (const scenario of ['read', 'write', 'mixed'] as const) {
    const ours = get(ONE_HOP, scenario);
    if (!ours) continue;
    const vs = PEERS.flatMap((p) => {
      const theirs = get(p, scenario);
      return theirs ? [`${ratio(ours.cpuUsPerRequest, theirs.cpuUsPerRequest)} ${p}'s (${fmt(theirs.cpuUsPerRequest, 0)})`] : [];
    });
    out.push(`${scenario}: ${fmt(ours.cpuUsPerRequest, 0)} µs${vs.length ? ` = ${vs.join(', ')}` : ''}`);
  }
  return out;
}

export interface ScalingRow {
  topology: Topology;
  nodes: number;
  reqPerSec: number;
  p99Ms: number;
  errors: number;
  /** Cores used by the `up` process: the cluster primary (one hop) or the gateway. */
  frontCores: number;
  nodeCores: number;
  /** The `up` process's share of the CPU the system (it + nodes) used. */
  frontShare: number;
}

/** One `up --nodes N`'s runs: medians of req/s, p99 and the cores `up` and its nodes used (with two runs, their mean). */
export function scalingRow(topology: Topology, nodes: number, runs: RunRow[]): ScalingRow {
  const front = topology === 'one-hop' ? 'primary' : 'gateway';
  const frontCores = median(runs.map((r) => (r.cpuSec[front] ?? 0) / r.wallSec));
  const nodeCores = median(runs.map((r) => (r.cpuSec.nodes ?? 0) / r.wallSec));
  return {
    topology,
    nodes,
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    frontCores,
    nodeCores,
    frontShare: frontCores / (frontCores + nodeCores),
  };
}

export function printScaling(rows: ScalingRow[]): void {
  console.log('\nscaling: `miniscale up [--gateway] --nodes N`, embedded, read (on 2 cores, more processes mostly add overhead):');
  printMarkdownTable(
    ['topology', 'nodes', 'req/s', 'p99 ms', 'errors', 'up cores (primary / gateway)', 'node cores', 'up share of CPU'],
    rows.map((r) => [
      r.topology,
      String(r.nodes),
      fmt(r.reqPerSec, 0),
      fmt(r.p99Ms, 1),
      String(r.errors),
      fmt(r.frontCores, 2),
      fmt(r.nodeCores, 2),
      `${fmt(r.frontShare * 100, 0)} %`,
    ]),
    [false, true, true, true, true, true, true, true],
  );
}

/**
 * How busy the machine was with other work: the share of all CPU other processes used
 * in the second before each run (median and worst), and how many runs started with
 * more than a quarter of it taken. On a 2-core box shared with the load generator, a
 * concurrent test run moves every row.
 */
export function machineLoad(rows: readonly RunRow[]): string {
  const shares = rows.map((r) => r.foreignCpu).filter((x): x is number => x !== null && Number.isFinite(x));
  if (shares.length === 0) return 'machine load: not measured (no /proc)';
  const busy = shares.filter((x) => x > 0.25).length;
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  return (
    `machine load: other processes used ${pct(median(shares))} of the CPU before a run (median; worst ${pct(Math.max(...shares))}); ` +
    `${busy} of ${shares.length} runs started with more than 25 % taken${busy > 0 ? ' — those rows are skewed' : ''}`
  );
}
