/** The printed table, the targets of issue 4, and the JSON file. */
import type { WrkResult } from '../support/wrk.js';
import { fmt, printMarkdownTable, ratio } from '../support/table.js';

export const SCENARIOS = {
  a: 'a: plain',
  b: 'b: one upstream +100 ms',
  c: 'c: one upstream SIGKILLed',
} as const;
export type Scenario = (typeof SCENARIOS)[keyof typeof SCENARIOS];
export type LbName = 'miniscale gateway' | 'nginx (keepalive)';

export interface Row extends WrkResult {
  scenario: Scenario;
  lb: LbName;
  /** Share of the requests the gateway sent to each upstream (from its admin API); nginx's is round-robin. */
  shares?: Record<string, number>;
  /** Share of all CPU used by other processes in the second before the run (null off Linux). */
  foreignCpu: number | null;
}

export interface Target {
  name: string;
  measured: string;
  pass: boolean;
}

/** Non-2xx answers plus socket errors: what a client saw fail. */
export const failed = (r: WrkResult): number => r.badStatus + r.socketErrors;
/** p99 of the requests wrk sent, timed on the client (NaN without request timing). */
const p99 = (r: WrkResult): number => r.times?.p99Ms ?? NaN;
const find = (rows: Row[], scenario: Scenario, lb: LbName) => rows.find((r) => r.scenario === scenario && r.lb === lb);
const pair = (rows: Row[], scenario: Scenario) => [find(rows, scenario, 'miniscale gateway'), find(rows, scenario, 'nginx (keepalive)')] as const;

export function targets(rows: Row[]): Target[] {
  const out: Target[] = [];
  const [ga, na] = pair(rows, SCENARIOS.a);
  if (ga && na) {
    const rps = ga.rps / na.rps;
    out.push({ name: '(a) gateway req/s ≥ 0.4 × nginx', measured: `${rps.toFixed(2)}×`, pass: rps >= 0.4 });
    out.push(atMost('(a) gateway p99 ≤ 2 × nginx', p99(ga) / p99(na), 2));
    out.push(atMost('(a) the same, wrk\'s corrected p99', ga.p99Ms / na.p99Ms, 2));
  }
  const [gb, nb] = pair(rows, SCENARIOS.b);
  if (gb && nb) {
    out.push(atMost('(b) p2c-EWMA p99 ≤ ⅓ × nginx round-robin p99', p99(gb) / p99(nb), 1 / 3));
    out.push(atMost('(b) the same, wrk\'s corrected p99', gb.p99Ms / nb.p99Ms, 1 / 3));
  }
  const [gc, nc] = pair(rows, SCENARIOS.c);
  if (gc && nc) {
    out.push({ name: '(c) failed requests: gateway ≤ nginx', measured: `${failed(gc)} vs ${failed(nc)}`, pass: failed(gc) <= failed(nc) });
  }
  return out;
}

function atMost(name: string, r: number, limit: number): Target {
  return { name, measured: Number.isFinite(r) ? `${r.toFixed(3)}×` : 'n/a', pass: r <= limit };
}

export function printTable(rows: Row[]): void {
  const head = ['scenario', 'load balancer', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'wrk p99 ms', 'failed', 'req/s ÷ nginx', 'p99 ÷ nginx', 'wrk p99 ÷ nginx'];
  const right = [false, false, true, true, true, true, true, true, true, true, true];
  const body = rows.map((r) => {
    const peer = r.lb === 'miniscale gateway' ? find(rows, r.scenario, 'nginx (keepalive)') : undefined;
    return [r.scenario, r.lb, fmt(r.rps, 0), fmt(r.times?.p50Ms ?? NaN, 2), fmt(p99(r), 2), fmt(r.times?.p999Ms ?? NaN, 2), fmt(r.p99Ms, 2),
      `${failed(r)} of ${r.requests}`, peer ? ratio(r.rps, peer.rps) : '', peer ? ratio(p99(r), p99(peer)) : '', peer ? ratio(r.p99Ms, peer.p99Ms) : ''];
  });
  console.log('p50/p99/p99.9: every request wrk sent, timed on the client; wrk p99: wrk\'s own, corrected for coordinated omission\n');
  printMarkdownTable(head, body, right);
  for (const r of rows) {
    if (r.shares) console.log(`\n${r.scenario}, gateway: requests per upstream ${Object.entries(r.shares).map(([u, s]) => `${u} ${(s * 100).toFixed(2)} %`).join(', ')}`);
  }
}

export function printTargets(list: Target[]): void {
  console.log('\ntargets (issue 4)');
  for (const t of list) console.log(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.measured}`);
}
