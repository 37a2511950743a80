/** The parts of a running gateway that the request path shares. */
import type { StatsReport, StoreHealth } from '../console/stats-types.js';
import type { Logger } from '../logging.js';
import type { UpstreamView } from './admin.js';
import type { Balancer } from './balancer.js';
import type { Membership } from './membership.js';
import type { GatewayMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { TrustedProxies } from './proxy/forwarded.js';
import type { RetryBudget } from './retry-budget.js';
import type { UpstreamsView } from './workers/protocol.js';

export interface GatewayRuntime {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly membership: Membership;
  readonly balancer: Balancer;
  readonly budget: RetryBudget;
  readonly trusted: TrustedProxies;
  readonly cluster?: ClusterLink;
  /** The console's ring buffer (`GET /_gateway/stats`); absent in a multi-worker gateway's worker (the primary keeps it). */
  readonly stats?: { report(): StatsReport };
  /** The store as this gateway sees it now: its own (with --discover), or through its probes of the nodes. */
  storeHealth(): StoreHealth | null;
  /** Crash restarts of the node behind an upstream, when this process knows (`up --gateway`). */
  restartsOf(url: string): number | undefined;
}

/**
 * A multi-worker gateway's line to the other workers (workers/link.ts), for the admin
 * routes whose answer no single worker has; absent when the gateway is one process.
 */
export interface ClusterLink {
  /** The upstreams as all workers see them, merged. */
  view(): Promise<UpstreamsView>;
  /** Applied by every worker; the merged view of the upstream, or undefined when none has it. */
  setDraining(ref: string, draining: boolean): Promise<UpstreamView | undefined>;
  /** Every worker's metrics, summed (Prometheus text). */
  metrics(): Promise<string>;
  /** The console's stats, kept by the primary from every worker's counts. */
  stats(): Promise<StatsReport>;
}
