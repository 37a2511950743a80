/**
 * How much of the machine's CPU went to processes other than this benchmark (and the
 * workers, servers and redis-benchmark it started) during the run. On a 2-core machine
 * a concurrent build or test run moves every row, so the report says how busy it was.
 * Linux only (/proc); elsewhere it reports nothing.
 */
import { readFileSync } from 'node:fs';

export interface CpuSnapshot {
  /** Jiffies every CPU spent busy / in total, machine-wide. */
  busy: number;
  total: number;
  /** This process plus its exited, reaped children (workers, redis-server, redis-benchmark). */
  ours: number;
}

export function cpuSnapshot(): CpuSnapshot | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
    const busy = user + nice + system + irq + softirq + steal;
    // Fields after the ")" that ends the command name: utime is the 12th, then stime, cutime, cstime.
    const self = readFileSync('/proc/self/stat', 'utf8');
    const f = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const ours = (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
    return { busy, total: busy + idle + iowait, ours };
  } catch {
    return null;
  }
}

/** The share (0…1) of all CPU capacity used by other processes between two snapshots. */
export function foreignShare(from: CpuSnapshot | null, to: CpuSnapshot | null): number | null {
  if (!from || !to || to.total <= from.total) return null;
  const foreign = to.busy - from.busy - (to.ours - from.ours);
  return Math.max(0, foreign) / (to.total - from.total);
}

export interface ProcessCpu {
  /** CPU seconds in user space and in the kernel (system calls, loopback TCP) so far. */
  userSec: number;
  sysSec: number;
}

/** CPU a live process has used so far, split as the kernel accounts it; null once it is gone or off Linux. */
export function processCpu(pid: number): ProcessCpu | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return { userSec: (f[11] ?? 0) / CLK_TCK, sysSec: (f[12] ?? 0) / CLK_TCK };
  } catch {
    return null;
  }
}

/** What a process used between two readings. */
export function cpuBetween(from: ProcessCpu | null, to: ProcessCpu | null): ProcessCpu | null {
  return from && to ? { userSec: to.userSec - from.userSec, sysSec: to.sysSec - from.sysSec } : null;
}

/** Linux's USER_HZ is 100 on every architecture Node supports. */
const CLK_TCK = 100;
