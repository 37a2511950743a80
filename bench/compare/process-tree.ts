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

/** Per group, the CPU seconds each live process of it has used so far. */
export type GroupCpu = Record<string, Map<number, number>>;

/** Reads the CPU of every live process of every group. */
export function groupCpu(groups: ProcessGroups): GroupCpu {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const out: GroupCpu = {};
  const seen = new Set<number>();
  for (const [name, roots] of Object.entries(groups)) {
    const members = new Map<number, number>();
    const stack = [...roots];
    while (stack.length) {
      const pid = stack.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const p = procs.get(pid);
      if (p) members.set(pid, p.cpuSec);
      stack.push(...(children.get(pid) ?? []));
    }
    out[name] = members;
  }
  return out;
}

/**
 * CPU seconds per group between two readings, process by process: one that started in
 * between counts from zero (a replacement node), one that ended in between drops out
 * (a killed node's last seconds are lost, not subtracted).
 */
export function cpuDelta(before: GroupCpu, after: GroupCpu): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, members] of Object.entries(after)) {
    let sum = 0;
    for (const [pid, sec] of members) sum += Math.max(0, sec - (before[name]?.get(pid) ?? 0));
    out[name] = sum;
  }
  return out;
}
