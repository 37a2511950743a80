/**
 * What a multi-worker gateway's primary and its workers say to each other, carried by
 * the fleet protocol (src/workers/protocol.ts):
 *
 * - A worker's admin route asks the primary (`AskOp`) for something only all workers
 *   together know: the upstreams as every worker sees them, a drain applied by every
 *   worker, the metrics summed over the workers.
 * - To build that answer the primary sends every worker a `LocalOp` and merges what
 *   they answer.
 * - The primary keeps the upstreams drained through the admin API and sends a worker
 *   the whole set (`sync-drained`) when it becomes ready and after every drain or
 *   undrain, so a worker that was starting during one cannot keep a stale state.
 */

/** Tells a forked worker its number (1-based), for its logs. */
export const WORKER_ENV = 'MINISCALE_GATEWAY_WORKER';
/** Tells a forked worker the upstreams drained so far (a JSON array of URLs). */
export const DRAINED_ENV = 'MINISCALE_GATEWAY_DRAINED';

/** What a gateway worker tells the primary when it listens. */
export interface GatewayReady {
  url: string;
  port: number;
  algorithm: string;
}

/** What a worker's admin route can ask the primary for. */
export type AskOp =
  | { op: 'view' }
  /** The console's stats (the primary keeps them from the counts each worker beats). */
  | { op: 'stats' }
  | { op: 'drain'; ref: string; draining: boolean }
  | { op: 'metrics' };

/**
 * What the primary asks each worker. `drain` answers the upstream's view, or null when
 * that worker has no such upstream; `metrics` answers prom-client's JSON form
 * (`getMetricsAsJSON`); `sync-drained` makes exactly these upstreams (URLs) the ones
 * drained by the admin API, and answers nothing.
 */
export type LocalOp =
  { op: 'view' } | { op: 'drain'; ref: string; draining: boolean } | { op: 'metrics' } | { op: 'sync-drained'; drained: string[] };
