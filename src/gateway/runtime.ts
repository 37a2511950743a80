/** The parts of a running gateway that the request path shares. */
import type { Logger } from '../logging.js';
import type { Balancer } from './balancer.js';
import type { Membership } from './membership.js';
import type { GatewayMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { TrustedProxies } from './proxy/forwarded.js';
import type { RetryBudget } from './retry-budget.js';

export interface GatewayRuntime {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly membership: Membership;
  readonly balancer: Balancer;
  readonly budget: RetryBudget;
  readonly trusted: TrustedProxies;
}
