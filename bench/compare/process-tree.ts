/**
 * CPU seconds of whole process trees, read from /proc: nginx's workers, php-fpm's
 * children and `up`'s nodes are forks of the process we started, and their CPU is the
 * system's CPU. A snapshot sums each live process once under the first group whose
 * root it descends from; a process that exits between two snapshots takes its CPU with
 * it (its parent's cutime only counts it once reaped), which the report accepts: the
 * only processes that exit mid-run are the ones a fault scenario kills.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: 100 on every architecture Node supports. */
const CLK_TCK = 100;

interface Proc {
  ppid: number;
  cpuSec: number;
}

function readProcs(): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the ")" that ends the command name: state ppid … utime(12th) stime(13th).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(entry), { ppid: Number(f[1]), cpuSec: (Number(f[11]) + Number(f[12])) / CLK_TCK });
    } catch {
      // exited while we looked
    }
  }
  return procs;
}

/** Group name → root PIDs; each root counts with all its descendants. */
export type ProcessGroups = Record<string, number[]>;

/** CPU seconds used so far per group (live processes only). */
export function groupCpu(groups: ProcessGroups): Record<string, number> {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const out: Record<string, number> = {};
  const seen = new Set<number>();
  for (const [name, roots] of Object.entries(groups)) {
    let sum = 0;
    const stack = [...roots];
    while (stack.length) {
      const pid = stack.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      sum += procs.get(pid)?.cpuSec ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    out[name] = sum;
  }
  return out;
}

/** Per-group CPU seconds between two readings (never negative: a killed process just drops out). */
export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(after)) out[name] = Math.max(0, after[name]! - (before[name] ?? 0));
  return out;
}

/** CPU seconds of this process's reaped children so far: wrk's, once it has exited. */
export function reapedChildrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}
