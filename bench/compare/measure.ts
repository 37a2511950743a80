/**
 * One measured wrk run against one system: settle, snapshot the CPU of its process
 * groups, run wrk (with an optional fault injected while it runs), snapshot again.
 * Every system gets the same wrk threads, connections and duration.
 */
import { cpuSnapshot, foreignShare, processCpu } from '../support/machine-load.js';
import { wrk } from '../support/wrk.js';
import { cpuDelta, groupCpu } from './process-tree.js';
import type { Scenario, SystemName, Workload } from './names.js';
import type { System } from './systems.js';

export interface LoadShape {
  threads: number;
  connections: number;
  durationSec: number;
  warmSec: number;
}

/** One row of bench/results/latest.json (the fields after `errors` are extra detail). */
export interface RunRow {
  system: SystemName;
  scenario: Scenario;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  run: number;
  p999Ms: number;
  requests: number;
  /** Status ≥ 400 and socket errors (connect, read, write, timeout), which make up `errors`. */
  badStatus: number;
  socketErrors: number;
  /** CPU seconds per process group during the run; `wrk` is the load generator. */
  cpuSec: Record<string, number>;
  wallSec: number;
  /** Share of the machine's CPU other processes used in the second before the run. */
  foreignCpu: number | null;
  /** Nodes behind the gateway / load balancer. */
  nodes: number;
  /**
   * kill-node: ms from the SIGKILL until the system had all its nodes in rotation again
   * (Miniscale only); null: not within 30 s.
   */
  recoveryMs?: number | null;
  /** kill-node, one hop: the client connections the killed worker held right before the kill. */
  heldConnections?: number;
  /** What the fault left behind, seen a second before the load ended (one hop: connections per worker). */
  note?: string;
}

/** A fault injected a third into a run. */
export interface Fault {
  recoveryMs?: Promise<number | null>;
  heldConnections?: number;
  /** Called a second before the load ends; its answer becomes the row's `note`. */
  beforeEnd?: () => Promise<string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Warms a system's workload (JIT, pools, caches) without recording anything. */
export async function warm(s: System, workload: Workload, shape: LoadShape): Promise<void> {
  await wrk({
    url: s.url,
    script: s.scripts.files[workload],
    env: s.scripts.env,
    threads: shape.threads,
    connections: shape.connections,
    durationSec: shape.warmSec,
  });
}

/** What a run does besides the load: `fault` a third into it. */
export interface RunEvents {
  fault?: () => Promise<Fault>;
}

export async function measure(
  s: System,
  scenario: Scenario,
  workload: Workload,
  shape: LoadShape,
  run: number,
  nodes: number,
  events: RunEvents = {},
): Promise<RunRow> {
  const { fault } = events;
  const script = s.scripts.files[workload];
  if (!script) throw new Error(`${s.name} has no ${workload} script`);
  const before = cpuSnapshot();
  await sleep(1_000);
  const foreignCpu = foreignShare(before, cpuSnapshot());
  const cpu0 = groupCpu(s.groups());
  const t0 = performance.now();
  // wrk's CPU, sampled while it runs (the last sample misses at most one interval): the
  // CPU of reaped children would also count a backend the kill-node scenario SIGKILLs.
  let wrkCpuSec = 0;
  let sampler: NodeJS.Timeout | undefined;
  const load = wrk({
    url: s.url,
    script,
    env: s.scripts.env,
    threads: shape.threads,
    connections: shape.connections,
    durationSec: shape.durationSec,
    onStart: (pid) => {
      sampler = setInterval(() => {
        const c = processCpu(pid);
        if (c) wrkCpuSec = c.userSec + c.sysSec;
      }, 100);
    },
  }).finally(() => clearInterval(sampler));
  let injected: Fault | undefined;
  let note: Promise<string> | undefined;
  if (fault) {
    await sleep((shape.durationSec * 1000) / 3);
    injected = await fault();
    const { beforeEnd } = injected;
    if (beforeEnd) {
      await sleep(Math.max(0, shape.durationSec * 1000 - 1_000 - (performance.now() - t0)));
      note = beforeEnd().catch((err: unknown) => `(${(err as Error).message})`);
    }
  }
  const result = await load;
  const recovery = injected?.recoveryMs?.catch((err: unknown) => {
    console.error(`  ${s.name}: ${(err as Error).message}`);
    return null;
  });
  const wallSec = (performance.now() - t0) / 1000;
  const cpuSec = { ...cpuDelta(cpu0, groupCpu(s.groups())), wrk: wrkCpuSec };
  return {
    system: s.name,
    scenario,
    reqPerSec: result.rps,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.badStatus + result.socketErrors,
    run,
    p999Ms: result.p999Ms,
    requests: result.requests,
    badStatus: result.badStatus,
    socketErrors: result.socketErrors,
    cpuSec,
    wallSec,
    foreignCpu,
    nodes,
    ...(recovery ? { recoveryMs: await recovery } : {}),
    ...(injected?.heldConnections !== undefined ? { heldConnections: injected.heldConnections } : {}),
    ...(note ? { note: await note } : {}),
  };
}

export function describe(r: RunRow): string {
  const cpu = Object.entries(r.cpuSec)
    .map(([g, sec]) => `${g} ${sec.toFixed(1)}`)
    .join(', ');
  const busy =
    r.foreignCpu !== null && r.foreignCpu > 0.05 ? ` (other processes: ${Math.round(r.foreignCpu * 100)} % CPU before the run)` : '';
  const rec =
    (r.recoveryMs === undefined
      ? ''
      : r.recoveryMs === null
        ? ', not back within 30 s'
        : `, back at full strength in ${(r.recoveryMs / 1000).toFixed(2)} s`) +
    (r.heldConnections !== undefined ? `, the killed worker held ${r.heldConnections} connections` : '') +
    (r.note ? `; ${r.note}` : '');
  return (
    `${r.system} · ${r.scenario} #${r.run}: ${Math.round(r.reqPerSec)} req/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ` +
    `p99.9 ${r.p999Ms.toFixed(1)} ms, ${r.errors} errors (${r.badStatus} status ≥ 400, ${r.socketErrors} socket); CPU s: ${cpu}${rec}${busy}`
  );
}
