/**
 * Prometheus metrics of one node (prom-client, its own registry so tests and several
 * in-process nodes never share counters). Served on GET /metrics.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class NodeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'miniscale_http_requests_total', help: 'HTTP requests answered, by route and status',
    labelNames: ['method', 'route', 'status'] as const, registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'miniscale_http_request_duration_seconds', help: 'Time to answer, by route',
    labelNames: ['method', 'route'] as const, registers: [this.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  readonly logins = new Counter({
    name: 'miniscale_logins_total', help: 'Login attempts by outcome (ok or error code)',
    labelNames: ['outcome'] as const, registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'miniscale_rate_limited_total', help: 'Requests refused by a rate limit, by limit',
    labelNames: ['limit'] as const, registers: [this.registry],
  });

  constructor(nodeId: string) {
    this.registry.setDefaultLabels({ node: nodeId });
    collectDefaultMetrics({ register: this.registry });
  }
}
