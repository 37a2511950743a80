/**
 * A worker's side of a multi-worker gateway: it asks the primary what only all workers
 * together know (`ClusterLink`, used by the admin routes), and answers the primary's
 * `local` requests from its own membership and metrics registry. The channel, the
 * `ready` and the heartbeat are the fleet's (src/workers/link.ts).
 */
import { PrimaryLink } from '../../workers/link.js';
import type { StatsReport } from '../../console/stats-types.js';
import type { ToPrimary, ToWorker } from '../../workers/protocol.js';
import type { ClusterLink, LocalGateway, UpstreamView, UpstreamsView } from '../types.js';
import { DRAINED_ENV, WORKER_ENV, type AskOp, type GatewayReady, type LocalOp } from './protocol.js';

export class WorkerLink implements ClusterLink {
  readonly #link: PrimaryLink;
  #gw: LocalGateway | undefined;

  constructor(send?: (m: ToPrimary) => void) {
    this.#link = new PrimaryLink(send);
    this.#link.answer((op) => this.#local(op as LocalOp));
  }

  /** Starts answering the primary for this worker's gateway. */
  attach(gw: LocalGateway): void {
    this.#gw = gw;
  }

  /** Listening: tells the primary, then beats with this worker's counts for the console. */
  ready(info: GatewayReady): void {
    this.#link.ready(info, () => this.#gw?.counts());
  }

  view(): Promise<UpstreamsView> {
    return this.#ask({ op: 'view' }) as Promise<UpstreamsView>;
  }

  async setDraining(ref: string, draining: boolean): Promise<UpstreamView | undefined> {
    return ((await this.#ask({ op: 'drain', ref, draining })) as UpstreamView | null) ?? undefined;
  }

  metrics(): Promise<string> {
    return this.#ask({ op: 'metrics' }) as Promise<string>;
  }

  stats(): Promise<StatsReport> {
    return this.#ask({ op: 'stats' }) as Promise<StatsReport>;
  }

  /** A message from the primary (what the IPC channel delivers; tests call it directly). */
  onMessage(m: ToWorker): void {
    this.#link.onMessage(m);
  }

  async #local(op: LocalOp): Promise<unknown> {
    const gw = this.#gw;
    if (!gw) return null;
    switch (op.op) {
      case 'view':
        return gw.view();
      case 'drain':
        return gw.setDraining(op.ref, op.draining) ?? null;
      case 'metrics':
        return await gw.metrics();
      case 'sync-drained':
        gw.replaceAdminDrains(op.drained);
        return null;
    }
  }

  #ask(op: AskOp): Promise<unknown> {
    return this.#link.ask(op);
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
