/**
 * `miniscale gateway --workers N`: the primary process. It proxies nothing itself; it
 *
 * - forks N workers (node:cluster) that each run the whole gateway on the same port —
 *   the primary accepts connections and hands them round-robin to the workers, so one
 *   busy worker does not collect every new client;
 * - restarts a worker that dies, with the node supervisor's back-off (0.5 s doubling to
 *   10 s), and hands every worker that becomes ready the current set of admin drains;
 * - answers the admin routes' questions that need every worker (protocol.ts): the
 *   merged upstream view, a drain applied everywhere, the workers' metrics summed by
 *   prom-client's `AggregatorRegistry.aggregate` (asked over our own protocol, and only
 *   of ready workers, so a worker that is starting cannot stall a scrape);
 * - on SIGTERM/SIGINT, has every worker finish its in-flight requests and exit.
 *
 * Each worker keeps its own health state, EWMA latencies and retry budget from its own
 * traffic and probes: nothing on the request path crosses a process boundary.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { HEALTHY_RESET_MS, RESTART_INITIAL_MS, RESTART_MAX_MS } from '../../cluster/node-supervisor.js';
import type { Logger } from '../../logging.js';
import type { UpstreamView } from '../admin.js';
import { GatewayWorkerStartError } from '../errors.js';
import { mergeUpstream, mergeViews } from './merge.js';
import { DRAINED_ENV, WORKER_ENV, isWorkerMessage, type AskOp, type LocalOp, type PrimaryMessage, type UpstreamsView, type WorkerMessage } from './protocol.js';

export interface PrimaryOptions {
  workers: number;
  log: Logger;
  /** How long a worker may take to listen. @default 30_000 */
  readyTimeoutMs?: number;
  /** How long a stopping worker may take to finish its requests before it is killed. */
  stopGraceMs: number;
}

export interface GatewayReady {
  url: string;
  port: number;
  algorithm: string;
}

interface Slot {
  index: number;
  worker?: Worker;
  readyAt?: number;
  restarts: number;
  timer?: NodeJS.Timeout;
}

/** How long the primary waits for every worker's part of an admin answer. */
const LOCAL_TIMEOUT_MS = 5_000;

export class GatewayPrimary {
  readonly #o: PrimaryOptions;
  readonly #slots: Slot[];
  /** Upstreams drained through the admin API, by URL: handed to every worker that becomes ready. */
  readonly #drained = new Set<string>();
  /** Asks in progress: the workers asked (a worker that exits is taken out) and what they answered. */
  readonly #localWaits = new Map<number, { asked: Set<Worker>; results: Map<Worker, unknown>; done: () => void }>();
  #nextLocalId = 1;
  #stopping = false;
  #starting: { resolve: (r: GatewayReady | undefined) => void; reject: (e: Error) => void; ready: number; timer: NodeJS.Timeout } | undefined;
  #info: GatewayReady | undefined;

  constructor(o: PrimaryOptions) {
    this.#o = o;
    this.#slots = Array.from({ length: o.workers }, (_, index) => ({ index, restarts: 0 }));
    cluster.on('message', (worker, m: unknown) => {
      if (isWorkerMessage(m)) this.#onMessage(worker, m);
    });
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
  }

  /**
   * Forks every worker; resolves once all listen, rejects (having stopped the rest) if
   * one fails to, and resolves undefined if stop() is called first.
   */
  start(): Promise<GatewayReady | undefined> {
    return new Promise((resolve, reject) => {
      const readyTimeoutMs = this.#o.readyTimeoutMs ?? 30_000;
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.#starting = undefined;
        void this.stop().then(() => reject(err));
      };
      const timer = setTimeout(() => fail(new GatewayWorkerStartError(`the gateway workers did not all listen within ${readyTimeoutMs / 1000} s`, 1)), readyTimeoutMs);
      this.#starting = {
        resolve: (r) => {
          clearTimeout(timer);
          this.#starting = undefined;
          resolve(r);
        },
        reject: fail,
        ready: 0,
        timer,
      };
      for (const slot of this.#slots) this.#fork(slot);
    });
  }

  pids(): number[] {
    return this.#slots.flatMap((s) => (s.worker?.process.pid !== undefined && !s.worker.isDead() ? [s.worker.process.pid] : []));
  }

  /** SIGTERM to every worker (each finishes its in-flight requests), SIGKILL after the grace. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#starting?.resolve(undefined);
    const live = this.#slots.flatMap((s) => {
      clearTimeout(s.timer);
      return s.worker && !s.worker.isDead() ? [s.worker] : [];
    });
    await Promise.all(live.map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', () => resolve());
      const kill = setTimeout(() => w.process.kill('SIGKILL'), this.#o.stopGraceMs);
      w.once('exit', () => clearTimeout(kill));
      w.process.kill('SIGTERM');
    })));
  }

  #fork(slot: Slot): void {
    slot.readyAt = undefined;
    slot.worker = cluster.fork({
      [WORKER_ENV]: String(slot.index + 1),
      // Applied before it listens (a drain made while it starts is replayed at `ready`).
      [DRAINED_ENV]: JSON.stringify([...this.#drained]),
    });
  }

  #slotOf(worker: Worker): Slot | undefined {
    return this.#slots.find((s) => s.worker === worker);
  }

  #onMessage(worker: Worker, m: WorkerMessage): void {
    if (m.ms === 'ready') return this.#onReady(worker, m);
    if (m.ms === 'local-answer') {
      const wait = this.#localWaits.get(m.id);
      if (!wait) return;
      if (!wait.asked.has(worker)) return;
      wait.results.set(worker, m.result);
      if (wait.results.size >= wait.asked.size) wait.done();
      return;
    }
    const { id, ms: _ms, ...op } = m;
    this.#answer(op as AskOp).then(
      (result) => send(worker, { ms: 'answer', id, ok: true, result }),
      (err: unknown) => send(worker, { ms: 'answer', id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  }

  #onReady(worker: Worker, m: Extract<WorkerMessage, { ms: 'ready' }>): void {
    const slot = this.#slotOf(worker);
    if (!slot) return;
    slot.readyAt = Date.now();
    this.#info ??= { url: m.url, port: m.port, algorithm: m.algorithm };
    // Drains and undrains made after it was forked (with the set of that moment) and before it listened.
    send(worker, { ms: 'local', id: 0, op: 'sync-drained', drained: [...this.#drained] });
    if (this.#starting && ++this.#starting.ready === this.#slots.length) {
      this.#starting.resolve(this.#info);
    } else if (!this.#starting) {
      this.#o.log.info({ worker: slot.index + 1, pid: worker.process.pid }, 'gateway worker back');
    }
  }

  async #answer(op: AskOp): Promise<unknown> {
    if (op.op === 'metrics') return AggregatorRegistry.aggregate(await this.#askWorkers(op) as object[]).metrics();
    if (op.op === 'view') return mergeViews(await this.#askWorkers(op) as UpstreamsView[]);
    const views = (await this.#askWorkers(op) as Array<UpstreamView | null>).filter((v): v is UpstreamView => v !== null);
    if (views.length === 0) return null;
    const merged = mergeUpstream(views);
    if (op.draining) this.#drained.add(merged.url);
    else this.#drained.delete(merged.url);
    // A worker that became ready while the others were asked was not: the whole set
    // again, to every ready worker, leaves none behind.
    for (const w of this.#readyWorkers()) send(w, { ms: 'local', id: 0, op: 'sync-drained', drained: [...this.#drained] });
    return merged;
  }

  #readyWorkers(): Worker[] {
    return this.#slots.flatMap((s) => (s.worker && s.readyAt !== undefined && !s.worker.isDead() ? [s.worker] : []));
  }

  /** Sends `op` to every listening worker; what they answered within the timeout (a stuck worker is logged and left out). */
  #askWorkers(op: LocalOp): Promise<unknown[]> {
    const workers = this.#readyWorkers();
    if (workers.length === 0) return Promise.reject(new Error('no gateway worker is running'));
    const id = this.#nextLocalId++;
    return new Promise((resolve) => {
      const results = new Map<Worker, unknown>();
      const done = () => {
        clearTimeout(timer);
        this.#localWaits.delete(id);
        const missing = workers.filter((w) => !results.has(w));
        if (missing.length > 0) this.#o.log.warn({ op: op.op, missing: missing.map((w) => w.process.pid) }, 'gateway workers did not answer in time');
        resolve([...results.values()]);
      };
      const timer = setTimeout(done, LOCAL_TIMEOUT_MS);
      this.#localWaits.set(id, { asked: new Set(workers), results, done });
      for (const w of workers) send(w, { ms: 'local', id, ...op });
    });
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    // Do not wait for an answer it will never give (and only where it was asked).
    for (const wait of this.#localWaits.values()) {
      if (!wait.asked.has(worker) || wait.results.has(worker)) continue;
      wait.asked.delete(worker);
      if (wait.results.size >= wait.asked.size) wait.done();
    }
    const slot = this.#slotOf(worker);
    if (!slot || this.#stopping) return;
    slot.worker = undefined;
    if (this.#starting) {
      this.#starting.reject(new GatewayWorkerStartError(`gateway worker ${slot.index + 1} exited with ${signal ?? code} while starting`, code ?? 1));
      return;
    }
    const upFor = slot.readyAt === undefined ? 0 : Date.now() - slot.readyAt;
    if (upFor >= HEALTHY_RESET_MS) slot.restarts = 0;
    const delay = Math.min(RESTART_MAX_MS, RESTART_INITIAL_MS * 2 ** slot.restarts);
    slot.restarts++;
    this.#o.log[slot.restarts > 3 ? 'error' : 'warn']({ worker: slot.index + 1, pid: worker.process.pid, code, signal, restartInMs: delay },
      slot.restarts > 3 ? 'gateway worker keeps crashing; restarting with back-off' : 'gateway worker exited; restarting');
    slot.timer = setTimeout(() => {
      if (!this.#stopping) this.#fork(slot);
    }, delay);
  }
}

function send(worker: Worker, m: PrimaryMessage): void {
  if (worker.isConnected()) worker.send(m);
}
