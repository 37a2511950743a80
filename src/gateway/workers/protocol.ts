/**
 * The messages between a multi-worker gateway's primary process and its workers, over
 * node:cluster's IPC channel. Every message carries `ms` (for Miniscale) so it is never
 * confused with cluster's own messages or prom-client's metric requests, which share
 * the channel.
 *
 * - A worker that is listening says `ready`.
 * - A worker's admin route `ask`s the primary for something only all workers together
 *   know: the upstreams as every worker sees them, a drain applied by every worker, the
 *   metrics summed over the workers. The primary `answer`s it.
 * - To build that answer the primary sends every worker a `local` request and collects
 *   their `local-answer`s.
 * - The primary keeps the upstreams drained through the admin API and sends a worker
 *   the whole set (`local` `sync-drained`) when it becomes ready and after every drain
 *   or undrain, so a worker that was starting during one cannot keep a stale state.
 */
import type { UpstreamView } from '../admin.js';

/** Tells a forked worker its number (1-based), for its logs. */
export const WORKER_ENV = 'MINISCALE_GATEWAY_WORKER';
/** Tells a forked worker the upstreams drained so far (a JSON array of URLs). */
export const DRAINED_ENV = 'MINISCALE_GATEWAY_DRAINED';

export interface UpstreamsView {
  algorithm: string;
  /** Present when several workers answered: how many. */
  workers?: number;
  upstreams: UpstreamView[];
}

/** What a worker's admin route can ask the primary for. */
export type AskOp =
  | { op: 'view' }
  | { op: 'drain'; ref: string; draining: boolean }
  | { op: 'metrics' };

/**
 * What the primary asks each worker. `drain` answers the upstream's view, or null when
 * that worker has no such upstream; `metrics` answers prom-client's JSON form
 * (`getMetricsAsJSON`); `sync-drained` makes exactly these upstreams (URLs) the ones
 * drained by the admin API, and answers nothing.
 */
export type LocalOp =
  | { op: 'view' }
  | { op: 'drain'; ref: string; draining: boolean }
  | { op: 'metrics' }
  | { op: 'sync-drained'; drained: string[] };

export type WorkerMessage =
  | { ms: 'ready'; url: string; port: number; algorithm: string }
  | ({ ms: 'ask'; id: number } & AskOp)
  | { ms: 'local-answer'; id: number; result: unknown };

export type PrimaryMessage =
  | { ms: 'answer'; id: number; ok: true; result: unknown }
  | { ms: 'answer'; id: number; ok: false; error: string }
  | ({ ms: 'local'; id: number } & LocalOp);

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { ms?: unknown }).ms === 'string' && ['ready', 'ask', 'local-answer'].includes((m as { ms: string }).ms);
}

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typeof m === 'object' && m !== null && ((m as { ms?: unknown }).ms === 'answer' || (m as { ms?: unknown }).ms === 'local');
}
