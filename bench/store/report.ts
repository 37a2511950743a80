/** The printed table, the target ratios and the JSON file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Row {
  driver: string;
  op: string;
  procs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Lost compare-and-set races, failures (with the first message): anything a reader must know. */
  note: string;
  /** Members on the board, for the leaderboard ops. */
  boardMembers?: number;
}

export interface Target {
  name: string;
  ratio: number | null;
  goal: number;
  pass: boolean | null;
  detail: string;
}

const find = (rows: Row[], driver: string, op: string, procs = 1) =>
  rows.find((r) => r.driver === driver && r.op === op && r.procs === procs);

export function targets(rows: Row[]): Target[] {
  const ratio = (name: string, goal: number, num: Row | undefined, den: Row | undefined, what: string): Target => {
    if (!num || !den || den.opsPerSec === 0) return { name, ratio: null, goal, pass: null, detail: `n/a (${what} not measured)` };
    const r = num.opsPerSec / den.opsPerSec;
    return { name, ratio: r, goal, pass: r >= goal, detail: `${fmtOps(num.opsPerSec)} / ${fmtOps(den.opsPerSec)} ops/s` };
  };
  return [
    ratio(
      'embedded get ÷ redis-driver get (1 process)',
      10,
      find(rows, 'embedded', 'get'),
      find(rows, 'redis', 'get'),
      'embedded or redis',
    ),
    ratio(
      'redis-driver get (50 in flight) ÷ redis-benchmark GET -c 50',
      0.8,
      find(rows, 'redis', 'get'),
      find(rows, 'redis-benchmark', 'GET -c50'),
      'redis',
    ),
    ratio(
      'embedded zset ÷ redis-driver zset (1 process, 100,000-member board)',
      0.5,
      find(rows, 'embedded', 'zset'),
      find(rows, 'redis', 'zset'),
      'embedded or redis',
    ),
    atLeast('embedded zset on a 100,000-member board (1 process), ops/s', ZSET_OPS_GOAL, find(rows, 'embedded', 'zset')),
  ];
}

const ZSET_OPS_GOAL = 20_000;

/** An absolute goal, shown as measured ÷ goal so that it prints like the ratios. */
function atLeast(name: string, goal: number, row: Row | undefined): Target {
  if (!row) return { name, ratio: null, goal: 1, pass: null, detail: 'n/a (not measured)' };
  const r = row.opsPerSec / goal;
  return { name, ratio: r, goal: 1, pass: r >= 1, detail: `${fmtOps(row.opsPerSec)} ops/s, goal ${fmtOps(goal)}` };
}

export function printTable(rows: Row[]): void {
  const head = ['driver', 'op', 'procs', 'ops/s', 'p50 ms', 'p99 ms', 'note'];
  const body = rows.map((r) => [r.driver, r.op, String(r.procs), fmtOps(r.opsPerSec), fmtMs(r.p50Ms), fmtMs(r.p99Ms), r.note]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const numeric = new Set([2, 3, 4, 5]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let previous = '';
  for (const [i, b] of body.entries()) {
    // A blank line between drivers keeps a 40-row table readable.
    if (previous && rows[i]!.driver !== previous) console.log('');
    previous = rows[i]!.driver;
    console.log(line(b));
  }
}

export function printTargets(list: Target[]): void {
  console.log('\ntargets');
  for (const t of list) {
    const verdict = t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'MISS';
    const ratio = t.ratio === null ? '   -  ' : `${t.ratio.toFixed(2)}×`;
    console.log(`  ${verdict}  ${ratio.padStart(7)}  (target ≥ ${t.goal}×)  ${t.name}: ${t.detail}`);
  }
}

export function writeJson(file: string, data: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
}

function fmtOps(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n < 10 ? n.toFixed(3) : n.toFixed(1);
}
