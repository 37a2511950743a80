/**
 * The gateway's Prometheus metrics (prom-client, its own registry so several gateways
 * in one process — tests — never share counters). Per-upstream gauges are read from
 * the live objects at scrape time rather than updated on the hot path.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Membership } from './upstreams/membership.js';
import { poolStats } from './upstreams/pool.js';

const STATES = ['healthy', 'slow-start', 'ejected', 'unhealthy', 'draining'] as const;
/** Upper bounds (seconds) of the request duration histogram; the console reads its buckets. */
export const DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'miniscale_gateway_requests_total',
    help: 'Client requests answered, by the upstream that answered ("none": the gateway) and status',
    labelNames: ['upstream', 'status'] as const,
    registers: [this.registry],
  });
  readonly attempts = new Counter({
    name: 'miniscale_gateway_upstream_attempts_total',
    help: 'Attempts sent to each upstream, by outcome (status code, or error kind)',
    labelNames: ['upstream', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'miniscale_gateway_request_duration_seconds',
    help: 'Time from request to the end of the response, by the upstream that answered',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
    buckets: [...DURATION_BUCKETS],
  });
  readonly retries = new Counter({
    name: 'miniscale_gateway_retries_total',
    help: 'Retries on another upstream, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly budgetExhausted = new Counter({
    name: 'miniscale_gateway_retry_budget_exhausted_total',
    help: 'Retries refused because the retry budget was spent',
    registers: [this.registry],
  });
  readonly ejections = new Counter({
    name: 'miniscale_gateway_ejections_total',
    help: 'Passive outlier ejections, by upstream',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });
  readonly panics = new Counter({
    name: 'miniscale_gateway_panic_total',
    help: 'Picks made in panic mode (no upstream eligible, all tried)',
    registers: [this.registry],
  });
  readonly clientErrors = new Counter({
    name: 'miniscale_gateway_client_errors_total',
    help: 'Requests refused before proxying (parse errors, limits, timeouts), by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly websockets = new Gauge({
    name: 'miniscale_gateway_websockets',
    help: 'Upgraded connections being relayed',
    registers: [this.registry],
  });

  readonly #byUpstream = new Map<string, UpstreamSeries>();

  /** The label children of one upstream (or 'none'), cached: no label hashing per request. */
  of(upstream: string): UpstreamSeries {
    let series = this.#byUpstream.get(upstream);
    if (!series) {
      series = new UpstreamSeries(this, upstream);
      this.#byUpstream.set(upstream, series);
    }
    return series;
  }

  constructor(membership: () => Membership | undefined) {
    collectDefaultMetrics({ register: this.registry, prefix: 'miniscale_gateway_' });
    new Gauge({
      name: 'miniscale_gateway_upstream_inflight',
      help: 'Requests in flight per upstream',
      labelNames: ['upstream'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const u of membership()?.upstreams ?? []) this.set({ upstream: u.url }, u.inflight);
      },
    });
    new Gauge({
      name: 'miniscale_gateway_upstream_state',
      help: '1 for the state each upstream is in',
      labelNames: ['upstream', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const now = performance.now();
        for (const u of membership()?.upstreams ?? []) {
          const current = u.state(now);
          for (const s of STATES) this.set({ upstream: u.url, state: s }, s === current ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'miniscale_gateway_pool_connections',
      help: 'Upstream pool connections by kind (connected, free, running requests, pending requests)',
      labelNames: ['upstream', 'kind'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const u of membership()?.upstreams ?? []) {
          const s = poolStats(u.pool);
          for (const [kind, v] of Object.entries(s) as [string, number][]) this.set({ upstream: u.url, kind }, v);
        }
      },
    });
  }
}

export class UpstreamSeries {
  readonly duration: Histogram.Internal<'upstream'>;
  readonly #requests = new Map<number, Counter.Internal>();
  readonly #attempts = new Map<string, Counter.Internal>();

  constructor(
    private readonly m: GatewayMetrics,
    private readonly upstream: string,
  ) {
    this.duration = m.duration.labels(upstream);
  }

  request(status: number): void {
    let c = this.#requests.get(status);
    if (!c) {
      c = this.m.requests.labels(this.upstream, String(status));
      this.#requests.set(status, c);
    }
    c.inc();
  }

  attempt(outcome: string): void {
    let c = this.#attempts.get(outcome);
    if (!c) {
      c = this.m.attempts.labels(this.upstream, outcome);
      this.#attempts.set(outcome, c);
    }
    c.inc();
  }
}
