/**
 * The comparison's table (medians of each system × scenario's runs, ratios to the seed
 * stack as written), the issue's targets checked against it, and the JSON files.
 */
import { fmt, median, printMarkdownTable, ratio } from '../support/table.js';
import type { RunRow } from './measure.js';
import { SCENARIOS, type Scenario } from './scripts.js';
import { SYSTEMS, type SystemName } from './systems.js';

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
  recoveryMs: number | null;
}

export function summarize(rows: RunRow[]): Summary[] {
  const out: Summary[] = [];
  for (const scenario of SCENARIOS) {
    for (const system of SYSTEMS) {
      const runs = rows.filter((r) => r.system === system && r.scenario === scenario);
      if (runs.length === 0) continue;
      const groups = [...new Set(runs.flatMap((r) => Object.keys(r.cpuSec)))];
      const recoveries = runs.map((r) => r.recoveryMs).filter((x): x is number => typeof x === 'number');
      out.push({
        system, scenario, runs: runs.length, nodes: runs[0]!.nodes,
        reqPerSec: median(runs.map((r) => r.reqPerSec)), p50Ms: median(runs.map((r) => r.p50Ms)),
        p99Ms: median(runs.map((r) => r.p99Ms)), p999Ms: median(runs.map((r) => r.p999Ms)),
        errors: runs.reduce((n, r) => n + r.errors, 0), requests: runs.reduce((n, r) => n + r.requests, 0),
        cpuSec: Object.fromEntries(groups.map((g) => [g, median(runs.map((r) => r.cpuSec[g] ?? NaN))])),
        recoveryMs: recoveries.length ? median(recoveries) : null,
        cpuUsPerRequest: median(runs.map(systemCpuUsPerRequest)),
      });
    }
  }
  return out;
}

function systemCpuUsPerRequest(r: RunRow): number {
  const sec = Object.entries(r.cpuSec).filter(([g]) => g !== 'wrk' && g !== 'proxy').reduce((n, [, v]) => n + v, 0);
  return r.requests ? (sec * 1e6) / r.requests : NaN;
}

const seedOf = (all: Summary[], s: Summary) => all.find((x) => x.system === 'seed-php' && x.scenario === s.scenario);

export function printTable(all: Summary[]): void {
  const head = ['scenario', 'system', 'nodes', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'CPU s per group', 'CPU µs/req', 'req/s vs seed', 'p99 vs seed'];
  const body = all.map((s) => {
    const seed = seedOf(all, s);
    const cpu = Object.entries(s.cpuSec).map(([g, v]) => `${g} ${fmt(v, 1)}`).join(' · ');
    const errors = `${s.errors}${s.recoveryMs != null ? ` (back in ${fmt(s.recoveryMs / 1000, 1)} s)` : ''}`;
    return [s.scenario, s.system, String(s.nodes), fmt(s.reqPerSec, 0), fmt(s.p50Ms, 2), fmt(s.p99Ms, 1), fmt(s.p999Ms, 1), errors, cpu,
      fmt(s.cpuUsPerRequest, 0), seed ? ratio(s.reqPerSec, seed.reqPerSec) : '—', seed ? ratio(s.p99Ms, seed.p99Ms) : '—'];
  });
  printMarkdownTable(head, body, [false, false, true, true, true, true, true, true, false, true, true, true]);
}

export interface Target {
  what: string;
  measured: string;
  met: boolean;
}

/** The issue's targets (reported, not asserted): scenario 1 on embedded, 4 and 5. */
export function targets(all: Summary[]): Target[] {
  const get = (system: SystemName, scenario: Scenario) => all.find((s) => s.system === system && s.scenario === scenario);
  const out: Target[] = [];
  const read = get('miniscale-embedded', 'read');
  const seedRead = get('seed-php', 'read');
  const naiveRead = get('node-naive', 'read');
  if (read && seedRead) {
    out.push({ what: 'read, embedded: req/s ≥ 3× seed-php', measured: ratio(read.reqPerSec, seedRead.reqPerSec), met: read.reqPerSec >= 3 * seedRead.reqPerSec });
    out.push({ what: 'read, embedded: p99 ≤ ½ seed-php\'s', measured: ratio(read.p99Ms, seedRead.p99Ms), met: read.p99Ms <= seedRead.p99Ms / 2 });
  }
  if (read && naiveRead) {
    out.push({ what: 'read, embedded: req/s ≥ 1.0× node-naive', measured: ratio(read.reqPerSec, naiveRead.reqPerSec), met: read.reqPerSec >= naiveRead.reqPerSec });
  }
  const slow = get('miniscale-embedded', 'slow-node');
  for (const peer of ['seed-php', 'seed-php-keepalive', 'node-naive'] as const) {
    const nginx = get(peer, 'slow-node');
    if (slow && nginx) out.push({ what: `slow node: p99 ≤ ⅓ of nginx round-robin's (${peer})`, measured: ratio(slow.p99Ms, nginx.p99Ms), met: slow.p99Ms <= nginx.p99Ms / 3 });
  }
  for (const system of SYSTEMS) {
    const kill = get(system, 'kill-node');
    if (kill) out.push({ what: `kill node: 0 failed GETs (${system})`, measured: `${kill.errors} of ${kill.requests}`, met: kill.errors === 0 });
  }
  return out;
}

export function printTargets(list: Target[]): void {
  console.log('\ntargets (issue 7; reported, not asserted):');
  for (const t of list) console.log(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.what}: ${t.measured}`);
}

export interface ScalingRow {
  nodes: number;
  reqPerSec: number;
  p99Ms: number;
  errors: number;
  gatewayCores: number;
  nodeCores: number;
  /** The gateway's share of the CPU the system (gateway + nodes) used. */
  gatewayShare: number;
}

export function printScaling(rows: ScalingRow[]): void {
  console.log('\nscaling: `miniscale up --nodes N`, embedded, read (on 2 cores, more processes mostly add overhead):');
  printMarkdownTable(['nodes', 'req/s', 'p99 ms', 'errors', 'gateway cores', 'node cores', 'gateway share of CPU'],
    rows.map((r) => [String(r.nodes), fmt(r.reqPerSec, 0), fmt(r.p99Ms, 1), String(r.errors), fmt(r.gatewayCores, 2), fmt(r.nodeCores, 2), `${fmt(r.gatewayShare * 100, 0)} %`]),
    [true, true, true, true, true, true, true]);
}
