/**
 * What `miniscale up`'s primary and its API node workers say to each other (over the
 * fleet protocol, src/workers/protocol.ts). A leaf: both sides import these types.
 */

import type { RowCounters, StoreHealth } from '../../console/stats-types.js';

/** What a worker tells the primary when it serves. */
export interface WorkerReadyInfo {
  nodeId: string;
  /** The shared public URL it listens on. */
  url: string;
}

/** What the primary asks of one worker. */
export type WorkerLocalOp =
  | { op: 'stats' }
  /** prom-client's JSON form of the worker's registry, for AggregatorRegistry. */
  | { op: 'metrics' }
  /** An admin drain (false) or undrain (true): stop or resume taking connections. */
  | { op: 'accept'; accepting: boolean };

export interface WorkerStats {
  requests: number;
  /** Answers with a 5xx status. */
  failures: number;
  inflight: number;
  connections: number;
  accepting: boolean;
}

/** What a worker's heartbeat carries, for the console's stats (kept by the primary). */
export interface WorkerReport {
  /** Since the worker started; latency buckets as the node's duration histogram's. */
  counters: RowCounters;
  inflight: number;
  accepting: boolean;
  /** Its own store's last ping. */
  store: StoreHealth;
}

/** What a worker's admin route asks the primary, which alone knows every worker. */
export type WorkerAskOp =
  | { op: 'view' }
  | { op: 'stats' }
  | { op: 'metrics' }
  /** `ref`: a node id, or a PID. */
  | { op: 'drain'; ref: string; draining: boolean };

/** One worker in `GET /_gateway/upstreams`: the gateway's upstream fields, plus who it is. */
export interface WorkerView {
  url: string;
  nodeId: string;
  pid: number;
  /** healthy, draining (an admin drain, or being replaced), or unhealthy (missed heartbeats). */
  state: 'healthy' | 'draining' | 'unhealthy';
  inflight: number;
  /** Always 0: nothing in front of the workers measures their latency. */
  ewmaMs: number;
  requests: number;
  failures: number;
  restarts: number;
  connections: number;
}

export interface WorkersView {
  /** node:cluster's primary hands each new connection to the next worker that took its last one. */
  algorithm: 'round-robin (node:cluster)';
  topology: 'one-hop';
  workers: number;
  upstreams: WorkerView[];
}

export type DrainAnswer = { ok: true; upstream: WorkerView } | { ok: false; code: 'NOT_FOUND' | 'DRAIN_REFUSED'; message: string };
