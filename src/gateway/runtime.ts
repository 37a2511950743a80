/** The parts of a running gateway that the request path shares. */
import type { StatsReport, StoreHealth } from '../console/stats-types.js';
import type { Logger } from '../core/logging.js';
import type { Balancer } from './pickers/balancer.js';
import type { Membership } from './upstreams/membership.js';
import type { GatewayMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { TrustedProxies } from '../http/trusted-proxies.js';
import type { RetryBudget } from './proxy/retry-budget.js';
import type { ClusterLink } from './types.js';

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
