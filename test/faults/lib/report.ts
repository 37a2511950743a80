/**
 * The results table: one row per store and setting, printed as the run ends (and kept
 * in memory so one test file can print the rows of all its scenarios together).
 */
import type { Verdict } from './checker.js';

export interface Row {
  setting: string;
  faults: string;
  verdict: Verdict;
}

export function formatTable(rows: Row[]): string {
  const head = [
    'store / setting',
    'faults',
    'ops',
    'ok',
    'fail',
    'unknown',
    'lost',
    'phantom',
    'stale reads',
    'counter (acked..+unknown)',
    'GET availability',
    'recovery (slowest)',
  ];
  const body = rows.map(({ setting, faults, verdict: v }) => [
    setting,
    faults,
    String(v.ops),
    String(v.ok),
    String(v.fail),
    String(v.unknown),
    String(v.lost),
    String(v.phantom),
    String(v.staleReads),
    `${v.counter.final} (${v.counter.acked}..${v.counter.acked + v.counter.unknown})${v.counter.ok ? '' : ' ✗'}`,
    `${(v.gets.availability * 100).toFixed(2)}% of ${v.gets.counted}`,
    Object.entries(v.recoveryMs)
      .map(([kind, ms]) => `${kind} ${(ms / 1000).toFixed(1)} s`)
      .join(', ') || '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Counts fault kinds: "kill-node×2, pause-node×1". */
export function faultSummary(kinds: string[]): string {
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k}×${n}`).join(', ');
}
