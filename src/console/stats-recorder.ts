/**
 * The ring buffer behind `GET /_gateway/stats`, kept by whoever knows every row (the
 * gateway, `up`'s primary): once a second it reads the topology's cumulative counters
 * (`StatsReading`), turns the difference with the previous reading into per-second
 * values — requests, errors by class, latency quantiles from the bucket counts — and
 * keeps the last STATS_SAMPLES of them. The request path is not touched: it only ever
 * updates the counters it already kept for the metrics.
 */
import type { Logger } from '../core/logging.js';
import { latencyQuantile } from './latency-quantile.js';
import { Ring } from './ring.js';
import {
  STATS_INTERVAL_MS,
  STATS_SAMPLES,
  type RowCounters,
  type RowReading,
  type RowSeries,
  type StatsReading,
  type StatsReport,
  type StatsRow,
} from './stats-types.js';

export interface StatsRecorderOptions {
  topology: StatsReport['topology'];
  algorithm: string;
  /** The topology's counters now; a failed read skips one sample. */
  read(): StatsReading | Promise<StatsReading>;
  log: Logger;
  /** @default STATS_INTERVAL_MS */
  intervalMs?: number;
  /** @default STATS_SAMPLES */
  samples?: number;
}

type SeriesRings = { [K in keyof RowSeries]: Ring<number | null> };

interface RowHistory {
  latest: RowReading;
  series: SeriesRings;
  /** The last counters of each counting process, to diff the next reading against. */
  previous: Map<string, RowCounters>;
}

export class StatsRecorder {
  readonly #o: StatsRecorderOptions;
  readonly #capacity: number;
  readonly #times: Ring<number>;
  readonly #rows = new Map<string, RowHistory>();
  #store: StatsReport['store'] = null;
  #storePings: Ring<number | null>;
  #lastAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;

  constructor(o: StatsRecorderOptions) {
    this.#o = o;
    this.#capacity = o.samples ?? STATS_SAMPLES;
    this.#times = new Ring(this.#capacity);
    this.#storePings = new Ring(this.#capacity);
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.sample(), this.#o.intervalMs ?? STATS_INTERVAL_MS);
    // Sampling must never keep a stopping process alive.
    this.#timer.unref();
    void this.sample();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample now (the timer's tick; tests call it with their own clock). */
  async sample(now = Date.now()): Promise<void> {
    if (this.#reading) return; // a slow read is not stacked
    this.#reading = true;
    try {
      this.#record(await this.#o.read(), now);
    } catch (err) {
      this.#o.log.warn({ err }, 'reading the console stats failed; this second is skipped');
    } finally {
      this.#reading = false;
    }
  }

  #record(reading: StatsReading, now: number): void {
    const seconds = this.#lastAt === undefined ? 0 : Math.max(1e-3, (now - this.#lastAt) / 1000);
    this.#lastAt = now;
    this.#times.push(now);
    const seen = new Set<string>();
    for (const row of reading.rows) {
      seen.add(row.id);
      this.#recordRow(row, seconds);
    }
    // Gone from the topology: gone from the page (an upstream removed, a slot dropped).
    for (const id of this.#rows.keys()) if (!seen.has(id)) this.#rows.delete(id);
    const store = reading.store;
    this.#storePings.push(store?.ok ? store.pingMs : null);
    this.#store = store ? { ...store, series: { pingMs: [] } } : null;
  }

  #recordRow(row: RowReading, seconds: number): void {
    let h = this.#rows.get(row.id);
    if (!h) {
      h = { latest: row, series: emptySeries(this.#capacity, this.#times.length - 1), previous: new Map() };
      this.#rows.set(row.id, h);
    }
    h.latest = row;
    const delta = { requests: 0, status4xx: 0, status5xx: 0, latencyCounts: new Array<number>(row.latencyBoundsMs.length + 1).fill(0) };
    let counted = false;
    const previous = new Map<string, RowCounters>();
    for (const { by, counters } of row.parts) {
      previous.set(by, counters);
      const before = h.previous.get(by);
      // A process seen for the first time is only a baseline: how long it has been
      // counting is unknown, so its totals are not one second's worth.
      if (!before || counters.requests < before.requests) continue;
      counted = true;
      delta.requests += counters.requests - before.requests;
      delta.status4xx += Math.max(0, counters.status4xx - before.status4xx);
      delta.status5xx += Math.max(0, counters.status5xx - before.status5xx);
      for (let i = 0; i < delta.latencyCounts.length; i++) {
        delta.latencyCounts[i]! += Math.max(0, (counters.latencyCounts[i] ?? 0) - (before.latencyCounts[i] ?? 0));
      }
    }
    h.previous = previous;
    const s = h.series;
    s.inflight.push(row.inflight);
    if (!counted || seconds === 0) {
      for (const ring of [s.rps, s.p50Ms, s.p99Ms, s.errors4xx, s.errors5xx]) ring.push(null);
      return;
    }
    s.rps.push(rate(delta.requests, seconds));
    s.errors4xx.push(rate(delta.status4xx, seconds));
    s.errors5xx.push(rate(delta.status5xx, seconds));
    s.p50Ms.push(latencyQuantile(row.latencyBoundsMs, delta.latencyCounts, 0.5));
    s.p99Ms.push(latencyQuantile(row.latencyBoundsMs, delta.latencyCounts, 0.99));
  }

  report(): StatsReport {
    return {
      topology: this.#o.topology,
      algorithm: this.#o.algorithm,
      intervalMs: this.#o.intervalMs ?? STATS_INTERVAL_MS,
      t: this.#times.toArray(),
      store: this.#store ? { ...this.#store, series: { pingMs: this.#storePings.toArray() } } : null,
      rows: [...this.#rows.values()].map(toRow),
    };
  }
}

function emptySeries(capacity: number, missed: number): SeriesRings {
  const ring = () => {
    const r = new Ring<number | null>(capacity);
    for (let i = 0; i < missed; i++) r.push(null);
    return r;
  };
  return { rps: ring(), p50Ms: ring(), p99Ms: ring(), errors4xx: ring(), errors5xx: ring(), inflight: ring() };
}

function rate(n: number, seconds: number): number {
  return Math.round((n / seconds) * 10) / 10;
}

function toRow(h: RowHistory): StatsRow {
  const r = h.latest;
  const s = h.series;
  return {
    id: r.id,
    url: r.url,
    ...(r.nodeId !== undefined ? { nodeId: r.nodeId } : {}),
    ...(r.pid !== undefined ? { pid: r.pid } : {}),
    state: r.state,
    inflight: r.inflight,
    restarts: r.restarts,
    ejections: r.ejections,
    now: {
      rps: s.rps.last() ?? 0,
      p50Ms: s.p50Ms.last() ?? null,
      p99Ms: s.p99Ms.last() ?? null,
      errors4xx: s.errors4xx.last() ?? 0,
      errors5xx: s.errors5xx.last() ?? 0,
    },
    series: {
      rps: s.rps.toArray(),
      p50Ms: s.p50Ms.toArray(),
      p99Ms: s.p99Ms.toArray(),
      errors4xx: s.errors4xx.toArray(),
      errors5xx: s.errors5xx.toArray(),
      inflight: s.inflight.toArray(),
    },
  };
}
