/**
 * The console's numbers: what a topology reads each second (`StatsReading`, cumulative
 * counters per counting process) and what `GET /_gateway/stats` answers (`StatsReport`,
 * per-second series over the last minutes). A leaf: the gateway, `up`'s primary and
 * workers, the page and `miniscale status` all import these types.
 */

/** One sample per second, 300 samples: the last five minutes. */
export const STATS_INTERVAL_MS = 1_000;
export const STATS_SAMPLES = 300;

/** What one process has counted for one row since it started (never reset). */
export interface RowCounters {
  requests: number;
  status4xx: number;
  status5xx: number;
  /** Answers per latency bucket, not cumulative; one more bucket than bounds (above the last). */
  latencyCounts: number[];
}

/** What a row is and its state now, in a reading and in the report alike. */
export interface RowStatus {
  /** Stable across restarts of what it names: `worker-2`, or an upstream's URL. */
  id: string;
  url: string;
  nodeId?: string;
  pid?: number;
  state: string;
  inflight: number;
  /** Crash restarts of a worker's or node's slot; null where nobody here counts them (a gateway in front of machines). */
  restarts: number | null;
  /** Ejections by the gateway, cumulative; null where nothing ejects (one hop). */
  ejections: number | null;
}

/** One worker, upstream or machine as read now. */
export interface RowReading extends RowStatus {
  /** Upper bounds (ms) of the latency buckets of `parts`' counters. */
  latencyBoundsMs: readonly number[];
  /**
   * The counters of each process that counts for this row (`by`: its PID, or "self").
   * A process that restarts counts from zero again, so each is diffed on its own.
   */
  parts: Array<{ by: string; counters: RowCounters }>;
}

export interface StoreHealth {
  /** embedded, redis, redis-cluster; null when only the nodes know (a gateway with no store of its own). */
  driver: string | null;
  /** Who pinged: the gateway itself, the API nodes, or the gateway's /readyz probes of them. */
  seenBy: 'gateway' | 'nodes' | 'probes';
  ok: boolean;
  /** The last ping's round trip; null when it failed or none was made yet. */
  pingMs: number | null;
}

export interface StatsReading {
  rows: RowReading[];
  store: StoreHealth | null;
}

/** Per-second values, one per sample time; null where there was nothing to measure. */
export interface RowSeries {
  rps: Array<number | null>;
  p50Ms: Array<number | null>;
  p99Ms: Array<number | null>;
  errors4xx: Array<number | null>;
  errors5xx: Array<number | null>;
  inflight: Array<number | null>;
}

/** The latest second of a row's series. */
export interface RowNow {
  rps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  errors4xx: number;
  errors5xx: number;
}

export interface StatsRow extends RowStatus {
  now: RowNow;
  series: RowSeries;
}

/** `GET /_gateway/stats`. */
export interface StatsReport {
  topology: 'one-hop' | 'gateway';
  algorithm: string;
  intervalMs: number;
  /** Sample times (epoch ms), oldest first; every series has one value per time. */
  t: number[];
  store: (StoreHealth & { series: { pingMs: Array<number | null> } }) | null;
  rows: StatsRow[];
}
