/**
 * What the console (`GET /_gateway/stats`) reads of a gateway each second: per upstream
 * its state and in-flight requests from the live objects, and its answers, status
 * classes, latency buckets and ejections from the Prometheus metrics the request path
 * already keeps — read here, once a second, never counted twice.
 *
 * A multi-worker gateway's workers each send their `GatewayCounts` to the primary with
 * their heartbeat; the primary merges them into one reading (`gatewayReading`).
 */
import { mergeStoreHealth } from '../../console/store-health.js';
import type { RowCounters, RowReading, StatsReading, StoreHealth } from '../../console/stats-types.js';
import { DURATION_BUCKETS } from '../metrics.js';
import type { GatewayRuntime } from '../runtime.js';
import { leastHealthy } from '../workers/merge.js';

export const GATEWAY_LATENCY_BOUNDS_MS: readonly number[] = DURATION_BUCKETS.map((s) => s * 1000);

export interface UpstreamCounts {
  url: string;
  nodeId?: string;
  state: string;
  inflight: number;
  ejections: number;
  /** Known only where this process runs the nodes too (`up --gateway`). */
  restarts: number | null;
  counters: RowCounters;
}

/** One gateway process's counts. */
export interface GatewayCounts {
  upstreams: UpstreamCounts[];
  store: StoreHealth | null;
}

export async function gatewayCounts(gw: GatewayRuntime): Promise<GatewayCounts> {
  const counters = new Map<string, RowCounters>();
  const of = (url: string) => {
    let c = counters.get(url);
    if (!c)
      counters.set(
        url,
        (c = { requests: 0, status4xx: 0, status5xx: 0, latencyCounts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0) }),
      );
    return c;
  };
  for (const v of (await gw.metrics.requests.get()).values) {
    const c = of(String(v.labels.upstream));
    const status = String(v.labels.status);
    c.requests += v.value;
    if (status.startsWith('4')) c.status4xx += v.value;
    else if (status.startsWith('5')) c.status5xx += v.value;
  }
  // prom-client lists each upstream's buckets cumulatively, in bound order, then +Inf.
  const cumulative = new Map<string, number[]>();
  for (const v of (await gw.metrics.duration.get()).values) {
    if (v.metricName !== 'miniscale_gateway_request_duration_seconds_bucket') continue;
    const url = String(v.labels.upstream);
    let list = cumulative.get(url);
    if (!list) cumulative.set(url, (list = []));
    list.push(v.value);
  }
  for (const [url, list] of cumulative) {
    const c = of(url);
    for (let i = 0; i < c.latencyCounts.length; i++) c.latencyCounts[i] = (list[i] ?? 0) - (i === 0 ? 0 : (list[i - 1] ?? 0));
  }
  const ejections = new Map<string, number>();
  for (const v of (await gw.metrics.ejections.get()).values) ejections.set(String(v.labels.upstream), v.value);
  const now = performance.now();
  return {
    upstreams: gw.membership.upstreams.map((u) => ({
      url: u.url,
      ...(u.nodeId !== undefined ? { nodeId: u.nodeId } : {}),
      state: u.state(now),
      inflight: u.inflight,
      ejections: ejections.get(u.url) ?? 0,
      restarts: gw.restartsOf(u.url) ?? null,
      counters: of(u.url),
    })),
    store: gw.storeHealth(),
  };
}

/**
 * One reading out of the counts of every gateway process (`by`: its PID, or "self"):
 * an upstream's state is the least healthy any process sees, its in-flight requests
 * and ejections add up, and each process's counters stay apart for the recorder to diff.
 */
export function gatewayReading(processes: ReadonlyArray<{ by: string; counts: GatewayCounts }>): StatsReading {
  const rows = new Map<string, RowReading>();
  const states = new Map<string, string[]>();
  for (const { by, counts } of processes) {
    for (const u of counts.upstreams) {
      let row = rows.get(u.url);
      if (!row) {
        row = {
          id: u.url,
          url: u.url,
          ...(u.nodeId !== undefined ? { nodeId: u.nodeId } : {}),
          state: u.state,
          inflight: 0,
          restarts: u.restarts,
          ejections: 0,
          latencyBoundsMs: GATEWAY_LATENCY_BOUNDS_MS,
          parts: [],
        };
        rows.set(u.url, row);
        states.set(u.url, []);
      }
      row.inflight += u.inflight;
      row.ejections! += u.ejections;
      row.parts.push({ by, counters: u.counters });
      states.get(u.url)!.push(u.state);
    }
  }
  for (const row of rows.values()) row.state = leastHealthy(states.get(row.id)!);
  return { rows: [...rows.values()], store: mergeStoreHealth(processes.map((p) => p.counts.store)) };
}
