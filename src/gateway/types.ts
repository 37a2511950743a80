/**
 * Types that the gateway's runtime, options, admin routes and workers all name. A leaf:
 * it imports nothing of the gateway, so that none of those modules has to import
 * another just for a type (which is how import cycles start).
 */
import type { StatsReport } from '../console/stats-types.js';

/** One upstream as the admin API shows it. */
export interface UpstreamView {
  url: string;
  /** The node's id, when a discovery source named it. */
  nodeId?: string;
  state: string;
  inflight: number;
  ewmaMs: number;
  requests: number;
  failures: number;
}

export interface UpstreamsView {
  algorithm: string;
  /** Present when several workers answered: how many. */
  workers?: number;
  upstreams: UpstreamView[];
}

/**
 * A multi-worker gateway's line to the other workers (workers/link.ts), for the admin
 * routes whose answer no single worker has; absent when the gateway is one process.
 */
export interface ClusterLink {
  /** Starts answering the other workers' questions from this worker's gateway. */
  attach(local: LocalGateway): void;
  /** The upstreams as all workers see them, merged. */
  view(): Promise<UpstreamsView>;
  /** Applied by every worker; the merged view of the upstream, or undefined when none has it. */
  setDraining(ref: string, draining: boolean): Promise<UpstreamView | undefined>;
  /** Every worker's metrics, summed (Prometheus text). */
  metrics(): Promise<string>;
  /** The console's stats, kept by the primary from every worker's counts. */
  stats(): Promise<StatsReport>;
}

/** What a multi-worker gateway's worker answers from its own state when the primary asks. */
export interface LocalGateway {
  view(): UpstreamsView;
  /** Through this worker's Membership; undefined when it has no such upstream. */
  setDraining(ref: string, draining: boolean): UpstreamView | undefined;
  /** prom-client's JSON form of this worker's metrics, for the primary to sum. */
  metrics(): Promise<unknown>;
  /** Makes exactly these the admin API's drains (the primary's record). */
  replaceAdminDrains(refs: readonly string[]): void;
  /** What this worker sends with its heartbeat, for the console. */
  counts(): Promise<unknown>;
}
