/**
 * A worker's side of a multi-worker gateway: it asks the primary what only all workers
 * together know (`ClusterLink`, used by the admin routes), and answers the primary's
 * `local` requests from its own membership and metrics registry.
 */
import { MiniscaleError } from '../../errors.js';
import { setDraining, upstreamsView, type UpstreamView } from '../admin.js';
import type { ClusterLink, GatewayRuntime } from '../runtime.js';
import { DRAINED_ENV, WORKER_ENV, isPrimaryMessage, type AskOp, type LocalOp, type PrimaryMessage, type UpstreamsView, type WorkerMessage } from './protocol.js';

/** The primary did not answer in time, or could not build the answer. */
export class WorkerLinkError extends MiniscaleError {
  readonly code = 'INTERNAL';
}

/** Longer than the primary's own wait for the workers, so its answer (or error) arrives first. */
const ASK_TIMEOUT_MS = 8_000;

export class WorkerLink implements ClusterLink {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #gw: GatewayRuntime | undefined;

  constructor(private readonly send: (m: WorkerMessage) => void = (m) => process.send!(m)) {
    process.on('message', (m: unknown) => {
      if (isPrimaryMessage(m)) this.onMessage(m);
    });
  }

  /** Starts answering the primary for this worker's gateway. */
  attach(gw: GatewayRuntime): void {
    this.#gw = gw;
  }

  ready(url: string, port: number, algorithm: string): void {
    this.send({ ms: 'ready', url, port, algorithm });
  }

  view(): Promise<UpstreamsView> {
    return this.#ask({ op: 'view' }) as Promise<UpstreamsView>;
  }

  async setDraining(ref: string, draining: boolean): Promise<UpstreamView | undefined> {
    return (await this.#ask({ op: 'drain', ref, draining }) as UpstreamView | null) ?? undefined;
  }

  metrics(): Promise<string> {
    return this.#ask({ op: 'metrics' }) as Promise<string>;
  }

  onMessage(m: PrimaryMessage): void {
    if (m.ms === 'local') {
      const { id } = m;
      this.#local(m).then(
        (result) => this.send({ ms: 'local-answer', id, result }),
        // The primary leaves a worker that does not answer out of the merged answer.
        () => undefined,
      );
      return;
    }
    const p = this.#pending.get(m.id);
    if (!p) return; // answered after our timeout
    this.#pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new WorkerLinkError(m.error));
  }

  async #local(op: LocalOp): Promise<unknown> {
    const gw = this.#gw;
    if (!gw) return null;
    switch (op.op) {
      case 'view': return upstreamsView(gw);
      case 'drain': return setDraining(gw, op.ref, op.draining) ?? null;
      case 'metrics': return await gw.metrics.registry.getMetricsAsJSON();
      case 'sync-drained':
        gw.membership.setAdminDrained(op.drained);
        return null;
    }
  }

  #ask(op: AskOp): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new WorkerLinkError(`the gateway's primary process did not answer "${op.op}" in ${ASK_TIMEOUT_MS / 1000} s`));
      }, ASK_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        this.send({ ms: 'ask', id, ...op });
      } catch (err) {
        this.#pending.delete(id);
        clearTimeout(timer);
        reject(new WorkerLinkError(`cannot reach the gateway's primary process: ${(err as Error).message}`));
      }
    });
  }
}

/** What the primary told this worker at fork time: its number, and the upstreams drained so far. */
export function workerEnv(env: NodeJS.ProcessEnv = process.env): { worker: number; drained: string[] } {
  let drained: unknown;
  try {
    drained = JSON.parse(env[DRAINED_ENV] ?? '[]');
  } catch {
    drained = [];
  }
  return {
    worker: Number(env[WORKER_ENV]) || 0,
    drained: Array.isArray(drained) ? drained.filter((d): d is string => typeof d === 'string') : [],
  };
}
