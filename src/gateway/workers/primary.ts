/**
 * `miniscale gateway --workers N`: the primary process. It proxies nothing itself; it
 *
 * - keeps N workers (node:cluster) that each run the whole gateway on the same port —
 *   the primary accepts connections and hands them round-robin to the workers, so one
 *   busy worker does not collect every new client. Their lives (restarts with back-off,
 *   heartbeats, stop) are the fleet's (src/workers/fleet.ts), as for `up`'s workers;
 * - hands every worker that becomes ready the current set of admin drains;
 * - answers the admin routes' questions that need every worker (protocol.ts): the
 *   merged upstream view, a drain applied everywhere, the workers' metrics summed by
 *   prom-client's `AggregatorRegistry.aggregate` (asked only of serving workers, so a
 *   worker that is starting cannot stall a scrape).
 *
 * Each worker keeps its own health state, EWMA latencies and retry budget from its own
 * traffic and probes: nothing on the request path crosses a process boundary.
 */
import { AggregatorRegistry } from 'prom-client';
import { StatsRecorder } from '../../console/stats-recorder.js';
import type { Logger } from '../../core/logging.js';
import { WorkerFleet } from '../../workers/fleet.js';
import { AdminDrains } from '../upstreams/admin-drains.js';
import type { UpstreamView, UpstreamsView } from '../types.js';
import { gatewayReading, type GatewayCounts } from '../admin/stats-reading.js';
import { mergeUpstream, mergeViews } from './merge.js';
import { DRAINED_ENV, WORKER_ENV, type AskOp, type GatewayReady, type LocalOp } from './protocol.js';

export interface PrimaryOptions {
  workers: number;
  log: Logger;
  /** The workers' balancing algorithm, for the console. */
  algorithm: string;
  /** How long a worker may take to listen. @default 30_000 */
  readyTimeoutMs?: number;
  /** How long a stopping worker may take to finish its requests before it is killed. */
  stopGraceMs: number;
}

export class GatewayPrimary {
  readonly #fleet: WorkerFleet<GatewayReady>;
  /**
   * The cluster's record of admin drains, by URL: each worker's Membership applies the
   * copy it is handed when it becomes ready and after every drain or undrain.
   */
  readonly #drains = new AdminDrains();
  /** The console's ring buffer, from the counts each serving worker sends with its heartbeat. */
  readonly #stats: StatsRecorder;

  constructor(o: PrimaryOptions) {
    this.#fleet = new WorkerFleet<GatewayReady>({
      count: o.workers,
      label: 'gateway worker',
      log: o.log,
      // Applied before it listens (a drain made while it starts is replayed when it is ready).
      env: (slot) => ({ [WORKER_ENV]: String(slot + 1), [DRAINED_ENV]: JSON.stringify(this.#drains.refs) }),
      readyTimeoutMs: o.readyTimeoutMs,
      stopGraceMs: o.stopGraceMs,
      onAsk: (op) => this.#answer(op as AskOp),
      onReady: (m) => this.#fleet.tell(m, this.#syncDrained()),
    });
    this.#stats = new StatsRecorder({
      topology: 'gateway',
      algorithm: o.algorithm,
      log: o.log,
      read: () =>
        gatewayReading(this.#fleet.serving().flatMap((m) => (m.report ? [{ by: String(m.pid), counts: m.report as GatewayCounts }] : []))),
    });
  }

  /**
   * Forks every worker; resolves with where they listen once all do, undefined if stop()
   * came first, and rejects (having stopped the rest) with a WorkerStartError carrying
   * the worker's exit code if one fails to start.
   */
  async start(): Promise<GatewayReady | undefined> {
    if (!(await this.#fleet.start())) return undefined;
    this.#stats.start();
    return this.#fleet.serving()[0]?.info;
  }

  pids(): number[] {
    return this.#fleet.pids();
  }

  /** SIGTERM to every worker (each finishes its in-flight requests), SIGKILL after the grace. */
  stop(): Promise<void> {
    this.#stats.stop();
    return this.#fleet.stop();
  }

  async #answer(op: AskOp): Promise<unknown> {
    if (op.op === 'metrics') return AggregatorRegistry.aggregate((await this.#askWorkers(op)) as object[]).metrics();
    if (op.op === 'view') return mergeViews((await this.#askWorkers(op)) as UpstreamsView[]);
    if (op.op === 'stats') return this.#stats.report();
    const views = ((await this.#askWorkers(op)) as Array<UpstreamView | null>).filter((v): v is UpstreamView => v !== null);
    if (views.length === 0) return null;
    const merged = mergeUpstream(views);
    if (op.draining) this.#drains.add(merged.url);
    else this.#drains.delete(merged.url);
    // A worker that became ready while the others were asked was not: the whole set
    // again, to every serving worker, leaves none behind.
    for (const m of this.#fleet.serving()) this.#fleet.tell(m, this.#syncDrained());
    return merged;
  }

  #syncDrained(): LocalOp {
    return { op: 'sync-drained', drained: [...this.#drains.refs] };
  }

  /** What every serving worker answered within the fan-out timeout (a stuck one is logged and left out). */
  async #askWorkers(op: LocalOp): Promise<unknown[]> {
    const answers = await this.#fleet.ask(op);
    if (answers.size === 0) throw new Error('no gateway worker is running');
    return [...answers.values()];
  }
}
