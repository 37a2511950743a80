/**
 * `miniscale up`'s default topology, one hop: N API node workers (node:cluster) listen
 * on the public port themselves; this process, the primary, accepts each connection and
 * hands it to the next worker that took its last one (node:cluster's round-robin), then
 * supervises them (src/workers/fleet.ts) and answers the admin routes' questions that
 * need every worker — the workers' view, their summed metrics, an admin drain, and the
 * console's stats, kept here from the counters each worker sends with its heartbeat.
 *
 * No request crosses a second process: a connection belongs to one worker from the
 * moment it is handed over. The price: a worker that dies takes the requests it was
 * answering with it (docs/guarantees.md); `up --gateway` retries those instead.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { DURATION_BUCKETS } from '../api/metrics.js';
import type { DrainAnswer, WorkerAskOp, WorkerReadyInfo, WorkerReport, WorkerStats, WorkerView, WorkersView } from '../api/worker/ops.js';
import { StatsRecorder } from '../console/stats-recorder.js';
import type { StatsReading } from '../console/stats-types.js';
import { mergeStoreHealth } from '../console/store-health.js';
import { WorkerFleet, type FleetMember } from '../workers/fleet.js';
import { cliCommand } from '../core/cli-entry.js';
import { freePort } from '../core/ports.js';
import type { Serving, ServeParts } from './serving.js';
import { displayHost } from '../http/display-host.js';

const VIEW_TIMEOUT_MS = 1_000;
/** Longer than a worker's own drain (MINISCALE_DRAIN_TIMEOUT_MS, 10 s by default). */
const WORKER_STOP_GRACE_MS = 11_000;
/**
 * The idle keep-alive timeout the workers advertise to clients. A drain closes idle
 * sockets only once this has passed (connection-drain.ts), so it bounds how long
 * replacing a worker takes; Node's own default, which clients are used to.
 */
const WORKER_KEEP_ALIVE_MS = 5_000;

export async function serveOneHop(p: ServeParts): Promise<Serving> {
  const { o, log } = p;
  // Fixed before forking: were every worker to die at once, node:cluster would close the
  // shared socket, and a port 0 would come back as another port.
  const port = o.port === 0 ? await freePort(o.host) : o.port;
  const url = `http://${displayHost(o.host)}:${port}`;
  setupWorkers(port, o.host, p.nodeArgs);
  const drained = new Set<number>();
  const fleet: WorkerFleet<WorkerReadyInfo> = new WorkerFleet<WorkerReadyInfo>({
    count: o.nodes,
    label: 'node worker',
    log,
    env: (slot) => ({
      ...p.env,
      MINISCALE_NODE_WORKER: String(slot + 1),
      // Clients connect to the workers directly: nobody's X-Forwarded-For is believed
      // unless the operator names a proxy in front (--trust-proxy).
      MINISCALE_TRUST_PROXY: o.trustProxy.join(','),
      // The siblings keep the port open: a worker that drains may stop accepting at once.
      MINISCALE_DRAIN_DELAY_MS: '0',
      MINISCALE_KEEP_ALIVE_TIMEOUT_MS: String(WORKER_KEEP_ALIVE_MS),
    }),
    readyTimeoutMs: 20_000,
    stopGraceMs: WORKER_STOP_GRACE_MS,
    onOutputLine: (line) => p.onOutputLine(line),
    onAsk: (op) => answer(op as WorkerAskOp),
    onChange: () => {
      const live = new Set(fleet.pids());
      for (const pid of drained) if (!live.has(pid)) drained.delete(pid);
      p.onChange();
    },
  });

  async function view(): Promise<WorkersView> {
    const members = fleet.members().filter((m) => m.info !== undefined);
    // Briefly: a worker that does not answer within a second is shown without its counters
    // (it may be stalling right now, before its missed beats say so).
    const stats = await fleet.ask(
      { op: 'stats' },
      members.filter((m) => m.state !== 'stalled'),
      VIEW_TIMEOUT_MS,
    );
    const upstreams = members.map((m) => workerView(m, stats.get(m) as WorkerStats | undefined, drained.has(m.pid)));
    return { algorithm: ALGORITHM, topology: 'one-hop', workers: upstreams.length, upstreams };
  }

  const ALGORITHM = 'round-robin (node:cluster)';
  const stats = new StatsRecorder({ topology: 'one-hop', algorithm: ALGORITHM, log, read: () => workersReading(fleet, drained) });

  async function answer(op: WorkerAskOp): Promise<unknown> {
    switch (op.op) {
      case 'view':
        return view();
      case 'stats':
        return stats.report();
      case 'metrics':
        return summedMetrics(fleet);
      case 'drain':
        return drain(op.ref, op.draining);
    }
  }

  async function drain(ref: string, draining: boolean): Promise<DrainAnswer> {
    const target = fleet.serving().find((m) => m.info?.nodeId === ref || String(m.pid) === ref);
    if (!target) return { ok: false, code: 'NOT_FOUND', message: `no worker "${ref}" (use its node id or PID)` };
    if (draining && !drained.has(target.pid)) {
      const others = fleet.serving().filter((m) => m !== target && m.state === 'serving' && !drained.has(m.pid));
      if (others.length === 0)
        return { ok: false, code: 'DRAIN_REFUSED', message: 'it is the last worker taking connections; the port would close' };
    }
    if (draining) drained.add(target.pid);
    else drained.delete(target.pid);
    await fleet.ask({ op: 'accept', accepting: !draining }, [target]);
    log.info({ nodeId: target.info?.nodeId, pid: target.pid, draining }, `worker ${draining ? 'drained' : 'undrained'} by the admin API`);
    const row = (await view()).upstreams.find((u) => u.pid === target.pid);
    return row ? { ok: true, upstream: row } : { ok: false, code: 'NOT_FOUND', message: `worker "${ref}" exited` };
  }

  if (!(await fleet.start())) throw new Error('stopped while the workers were starting');
  stats.start();
  return {
    url,
    topology: 'one-hop',
    nodeUrls: () => [url],
    workers: () => fleet.members().flatMap((m) => (m.info && m.state !== 'retiring' ? [{ nodeId: m.info.nodeId, pid: m.pid }] : [])),
    pids: () => fleet.pids(),
    replaceAll: () => fleet.replaceAll(),
    stop: () => {
      stats.stop();
      return fleet.stop();
    },
    kill: () => fleet.killAll(),
  };
}

/** Workers run `miniscale node` on the shared port, with the same Node.js flags as this process. */
function setupWorkers(port: number, host: string, nodeArgs: string[]): void {
  const cli = cliCommand();
  const exec = cli.args.at(-1)!;
  const loader = cli.args.slice(0, -1); // tsx, when running from source
  const execArgv = loader.length > 0 && !process.execArgv.includes(loader.at(-1)!) ? [...process.execArgv, ...loader] : process.execArgv;
  // `silent`: their output comes through us, into the one log stream (pretty on a terminal).
  cluster.setupPrimary({ exec, execArgv, args: ['node', '--port', String(port), '--host', host, ...nodeArgs], silent: true });
}

function workerState(m: FleetMember<WorkerReadyInfo>, accepting: boolean | undefined, drained: boolean): WorkerView['state'] {
  return m.state === 'stalled' ? 'unhealthy' : m.state === 'retiring' || drained || accepting === false ? 'draining' : 'healthy';
}

function workerView(m: FleetMember<WorkerReadyInfo>, s: WorkerStats | undefined, drained: boolean): WorkerView {
  const state = workerState(m, s?.accepting, drained);
  return {
    url: m.info!.url,
    nodeId: m.info!.nodeId,
    pid: m.pid,
    state,
    inflight: s?.inflight ?? 0,
    ewmaMs: 0,
    requests: s?.requests ?? 0,
    failures: s?.failures ?? 0,
    restarts: m.restarts,
    connections: s?.connections ?? 0,
  };
}

const NODE_LATENCY_BOUNDS_MS: readonly number[] = DURATION_BUCKETS.map((s) => s * 1000);

/**
 * The console's reading: one row per worker slot, so a restarted worker continues its
 * slot's charts (its counters, from zero again, are diffed on their own: `by` its PID).
 * During a replacement the slot shows the worker that is not retiring.
 */
function workersReading(fleet: WorkerFleet<WorkerReadyInfo>, drained: Set<number>): StatsReading {
  const bySlot = new Map<number, FleetMember<WorkerReadyInfo>>();
  for (const m of fleet.members()) {
    if (!m.info) continue;
    const have = bySlot.get(m.slot);
    if (!have || (have.state === 'retiring' && m.state !== 'retiring')) bySlot.set(m.slot, m);
  }
  const members = [...bySlot.values()].sort((a, b) => a.slot - b.slot);
  const reportOf = (m: FleetMember<WorkerReadyInfo>) => m.report as WorkerReport | undefined;
  return {
    rows: members.map((m) => {
      const r = reportOf(m);
      return {
        id: `worker-${m.slot + 1}`,
        url: m.info!.url,
        nodeId: m.info!.nodeId,
        pid: m.pid,
        state: workerState(m, r?.accepting, drained.has(m.pid)),
        inflight: r?.inflight ?? 0,
        restarts: m.restarts,
        ejections: null,
        latencyBoundsMs: NODE_LATENCY_BOUNDS_MS,
        parts: r ? [{ by: String(m.pid), counters: r.counters }] : [],
      };
    }),
    store: mergeStoreHealth(members.map((m) => reportOf(m)?.store ?? null)),
  };
}

/**
 * Every serving worker's metrics, summed by prom-client's cluster aggregation. Each
 * worker labels its series with its node id; the label is dropped first, or nothing
 * would add up (each worker's series would stay apart).
 */
async function summedMetrics(fleet: WorkerFleet<WorkerReadyInfo>): Promise<string> {
  const answers = await fleet.ask({ op: 'metrics' });
  const perWorker = [...answers.values()] as MetricObjectWithValues<MetricValue<string>>[][];
  for (const metrics of perWorker) for (const m of metrics) for (const v of m.values) delete v.labels.node;
  return AggregatorRegistry.aggregate(perWorker).metrics();
}
