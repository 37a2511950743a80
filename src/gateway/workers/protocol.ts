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

/** What the primary asks each worker. `drain` answers the upstream's view, or null when that worker has no such upstream. */
export type LocalOp =
  | { op: 'view' }
  | { op: 'drain'; ref: string; draining: boolean };

export type WorkerMessage =
  | { ms: 'ready'; url: string; port: number; algorithm: string }
  | ({ ms: 'ask'; id: number } & AskOp)
  | { ms: 'local-answer'; id: number; result: UpstreamsView | UpstreamView | null };

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
