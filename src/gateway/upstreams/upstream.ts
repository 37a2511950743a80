/**
 * One upstream node as the balancer sees it: its pool, its live load (in-flight
 * requests), its latency estimate, its health, and cumulative counters for the admin
 * API. Pickers read these; the forwarder writes them.
 */
import type { Pool } from 'undici';
import { PeakEwma } from './ewma.js';
import { LatencyWindow } from '../health/latency-window.js';
import { UpstreamHealth, type HealthEvent, type HealthPolicy, type UpstreamState } from '../health/state.js';
import { upstreamId } from '../options.js';
import { createPool, type PoolSettings } from './pool.js';

export interface UpstreamSettings {
  health: HealthPolicy;
  pool: PoolSettings;
  ewmaDecayMs: number;
}

export class Upstream {
  /** `host:port`: what the admin API's drain route takes. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly pool: Pool;
  readonly latency: PeakEwma;
  /** Latencies of successful answers since the outlier detector last looked. */
  readonly window = new LatencyWindow();
  /** The last health probe's latency (ms); undefined before one passed, or after one failed. */
  probeMs: number | undefined;
  /** The store driver the node named in its last passed probe (a Miniscale node's /readyz does). */
  probeStore: string | undefined;
  readonly health: UpstreamHealth;
  /** Requests sent and not yet answered in full. */
  inflight = 0;
  /** Proxied attempts (probes excluded), cumulative. */
  requests = 0;
  failures = 0;
  removed = false;

  constructor(
    /** As given on the command line or in the registry. */
    readonly url: string,
    /** The registry's node id, when discovered. */
    readonly nodeId: string | undefined,
    settings: UpstreamSettings,
    now: number,
    opts: { slowStart: boolean; onHealthEvent?: (u: Upstream, e: HealthEvent) => void },
  ) {
    const u = new URL(url);
    this.id = upstreamId(url);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || 80);
    this.pool = createPool(u.origin, settings.pool);
    this.latency = new PeakEwma(settings.ewmaDecayMs);
    this.health = new UpstreamHealth(settings.health, now, { slowStart: opts.slowStart }, (e) => opts.onHealthEvent?.(this, e));
  }

  state(now: number): UpstreamState {
    return this.health.state(now);
  }

  /** True when `ref` names this upstream: its host:port, its URL, or its registry node id. */
  matches(ref: string): boolean {
    return ref === this.id || ref === this.url || (this.nodeId !== undefined && ref === this.nodeId);
  }
}
