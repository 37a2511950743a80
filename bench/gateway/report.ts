/** The printed table, its targets, and the JSON file. */
import type { WrkResult } from '../support/wrk.js';
import { fmt, median, printMarkdownTable } from '../support/table.js';

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
  /** 1-based: each round runs the gateway and nginx back to back (the order alternates). */
  round: number;
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
const GATEWAY: LbName = 'miniscale gateway';
const NGINX: LbName = 'nginx (keepalive)';
const runsOf = (rows: Row[], scenario: Scenario, lb: LbName) => rows.filter((r) => r.scenario === scenario && r.lb === lb);

/**
 * gateway ÷ nginx of one metric, round by round. The machine's speed drifts by ±15–20 %
 * over minutes (a shared 2-core VM), so a ratio is only taken between the two runs of
 * one round, which ran back to back; its median over the rounds is what the targets
 * check, and the range shows how much one round can be trusted.
 */
export interface PairedRatio {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

export function pairedRatio(rows: Row[], scenario: Scenario, metric: (r: WrkResult) => number): PairedRatio | undefined {
  const rounds: number[] = [];
  for (const g of runsOf(rows, scenario, GATEWAY)) {
    const n = rows.find((r) => r.scenario === scenario && r.lb === NGINX && r.round === g.round);
    if (n) rounds.push(metric(g) / metric(n));
  }
  const finite = rounds.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), rounds };
}

/** One line per scenario and load balancer: the median of each metric over the rounds, failures summed. */
export interface Summary {
  scenario: Scenario;
  lb: LbName;
  rounds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  wrkP99Ms: number;
  failed: number;
  requests: number;
}

export function summarize(rows: Row[]): Summary[] {
  const out: Summary[] = [];
  for (const scenario of Object.values(SCENARIOS)) {
    for (const lb of [GATEWAY, NGINX]) {
      const runs = runsOf(rows, scenario, lb);
      if (runs.length === 0) continue;
      out.push({
        scenario,
        lb,
        rounds: runs.length,
        rps: median(runs.map((r) => r.rps)),
        p50Ms: median(runs.map((r) => r.times?.p50Ms ?? NaN)),
        p99Ms: median(runs.map(p99)),
        p999Ms: median(runs.map((r) => r.times?.p999Ms ?? NaN)),
        wrkP99Ms: median(runs.map((r) => r.p99Ms)),
        failed: runs.reduce((n, r) => n + failed(r), 0),
        requests: runs.reduce((n, r) => n + r.requests, 0),
      });
    }
  }
  return out;
}

export function targets(rows: Row[]): Target[] {
  const out: Target[] = [];
  const rps = pairedRatio(rows, SCENARIOS.a, (r) => r.rps);
  if (rps) out.push({ name: '(a) gateway req/s ≥ 0.4 × nginx', measured: describe(rps), pass: rps.median >= 0.4 });
  const ap99 = pairedRatio(rows, SCENARIOS.a, p99);
  if (ap99) out.push(atMost('(a) gateway p99 ≤ 2 × nginx', ap99, 2));
  const aw = pairedRatio(rows, SCENARIOS.a, (r) => r.p99Ms);
  if (aw) out.push(atMost("(a) the same, wrk's corrected p99", aw, 2));
  const bp99 = pairedRatio(rows, SCENARIOS.b, p99);
  if (bp99) out.push(atMost('(b) p2c-EWMA p99 ≤ ⅓ × nginx round-robin p99', bp99, 1 / 3));
  const bw = pairedRatio(rows, SCENARIOS.b, (r) => r.p99Ms);
  if (bw) out.push(atMost("(b) the same, wrk's corrected p99", bw, 1 / 3));
  const gc = runsOf(rows, SCENARIOS.c, GATEWAY);
  const nc = runsOf(rows, SCENARIOS.c, NGINX);
  if (gc.length > 0 && nc.length > 0) {
    const g = gc.reduce((n, r) => n + failed(r), 0);
    const n = nc.reduce((s, r) => s + failed(r), 0);
    out.push({
      name: '(c) failed requests: gateway ≤ nginx',
      measured: `${g} vs ${n} over ${gc.length} round${gc.length === 1 ? '' : 's'}`,
      pass: g <= n,
    });
  }
  return out;
}

/** "1.62× (1.41–1.90 over 3 rounds)": the median of the paired ratios and their range. */
function describe(r: PairedRatio): string {
  return r.rounds.length === 1
    ? times(r.median)
    : `${times(r.median)} (${times(r.min).slice(0, -1)}–${times(r.max).slice(0, -1)} over ${r.rounds.length} rounds)`;
}

const times = (v: number): string => `${v.toFixed(v < 0.1 ? 3 : 2)}×`;

function atMost(name: string, r: PairedRatio, limit: number): Target {
  return { name, measured: describe(r), pass: r.median <= limit };
}

export function printTable(rows: Row[]): void {
  const head = [
    'scenario',
    'load balancer',
    'req/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'wrk p99 ms',
    'failed',
    'req/s ÷ nginx',
    'p99 ÷ nginx',
    'wrk p99 ÷ nginx',
  ];
  const right = [false, false, true, true, true, true, true, true, true, true, true];
  const paired = (s: Scenario, metric: (r: WrkResult) => number) => {
    const r = pairedRatio(rows, s, metric);
    if (!r) return 'n/a';
    return r.rounds.length === 1 ? times(r.median) : `${times(r.median)} (${times(r.min)}–${times(r.max)})`;
  };
  const body = summarize(rows).map((s) => {
    const gw = s.lb === GATEWAY;
    return [
      s.scenario,
      s.lb,
      fmt(s.rps, 0),
      fmt(s.p50Ms, 2),
      fmt(s.p99Ms, 2),
      fmt(s.p999Ms, 2),
      fmt(s.wrkP99Ms, 2),
      `${s.failed} of ${s.requests}`,
      gw ? paired(s.scenario, (r) => r.rps) : '',
      gw ? paired(s.scenario, p99) : '',
      gw ? paired(s.scenario, (r) => r.p99Ms) : '',
    ];
  });
  const rounds = Math.max(...rows.map((r) => r.round));
  console.log("p50/p99/p99.9: every request wrk sent, timed on the client; wrk p99: wrk's own, corrected for coordinated omission");
  if (rounds > 1)
    console.log(
      `each cell: the median over ${rounds} rounds (failures: the sum); ratios: the median of the per-round gateway ÷ nginx ratios (range)`,
    );
  console.log('');
  printMarkdownTable(head, body, right);
  for (const r of rows) {
    if (r.shares)
      console.log(
        `\n${r.scenario}, round ${r.round}, gateway: requests per upstream ${Object.entries(r.shares)
          .map(([u, v]) => `${u} ${(v * 100).toFixed(2)} %`)
          .join(', ')}`,
      );
  }
}

export function printTargets(list: Target[]): void {
  console.log('\ntargets');
  for (const t of list) console.log(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.measured}`);
}
