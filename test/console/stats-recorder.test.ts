/**
 * The console's ring buffer and its arithmetic, with no process: per-second rates from
 * cumulative counters, quantiles from bucket counts, a restarted process counted from
 * zero again, five minutes kept and no more, rows that leave the topology leave the report.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyQuantile } from '../../src/console/latency-quantile.js';
import { Ring } from '../../src/console/ring.js';
import { StatsRecorder } from '../../src/console/stats-recorder.js';
import type { RowCounters, RowReading, StatsReading } from '../../src/console/stats-types.js';
import { sparkline } from '../../src/console/status-text.js';
import { mergeStoreHealth } from '../../src/console/store-health.js';
import { createLogger } from '../../src/core/logging.js';

const BOUNDS = [1, 10, 100];
const log = createLogger({ component: 'gateway', level: 'silent' });

function counters(requests: number, latencyCounts: number[], status4xx = 0, status5xx = 0): RowCounters {
  return { requests, status4xx, status5xx, latencyCounts };
}

function row(id: string, parts: RowReading['parts'], state = 'healthy'): RowReading {
  return { id, url: `http://${id}`, state, inflight: 1, restarts: 0, ejections: null, latencyBoundsMs: BOUNDS, parts };
}

/** A recorder fed from a list of readings, one per sample, sampled one second apart. */
async function record(readings: StatsReading[], samples?: number): Promise<StatsRecorder> {
  let i = 0;
  const rec = new StatsRecorder({ topology: 'gateway', algorithm: 'p2c-ewma', log, samples, read: () => readings[i++]! });
  for (let s = 0; s < readings.length; s++) await rec.sample(1_000_000 + s * 1000);
  return rec;
}

describe('latency quantiles from histogram buckets', () => {
  it('interpolates inside the bucket the rank falls in', () => {
    assert.equal(latencyQuantile(BOUNDS, [0, 10, 0, 0], 0.5), 5.5);
    assert.equal(latencyQuantile(BOUNDS, [50, 50, 0, 0], 0.5), 1);
    assert.equal(latencyQuantile(BOUNDS, [98, 0, 2, 0], 0.99), 55);
  });

  it('is null with nothing counted, and the top bound for a rank above every bound', () => {
    assert.equal(latencyQuantile(BOUNDS, [0, 0, 0, 0], 0.5), null);
    assert.equal(latencyQuantile(BOUNDS, [0, 0, 0, 4], 0.99), 100);
  });
});

describe('the ring', () => {
  it('keeps the last `capacity` values, oldest first', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    assert.deepEqual(r.toArray(), [3, 4, 5]);
    assert.equal(r.last(), 5);
    assert.equal(r.length, 3);
  });
});

describe('the stats recorder', () => {
  it('turns cumulative counters into per-second rates, error classes and quantiles', async () => {
    const rec = await record([
      { rows: [row('a', [{ by: '1', counters: counters(100, [100, 0, 0, 0]) }])], store: null },
      { rows: [row('a', [{ by: '1', counters: counters(150, [140, 10, 0, 0], 5, 2) }])], store: null },
    ]);
    const r = rec.report();
    assert.equal(r.t.length, 2);
    const a = r.rows[0]!;
    assert.deepEqual(a.series.rps, [null, 50], 'the first reading is only a baseline');
    assert.deepEqual(a.now, { rps: 50, p50Ms: 0.625, p99Ms: 9.55, errors4xx: 5, errors5xx: 2 });
  });

  it('diffs each counting process on its own, and a restarted one (new PID) from its own baseline', async () => {
    const rec = await record([
      {
        rows: [
          row('a', [
            { by: '1', counters: counters(10, [10, 0, 0, 0]) },
            { by: '2', counters: counters(10, [10, 0, 0, 0]) },
          ]),
        ],
        store: null,
      },
      {
        rows: [
          row('a', [
            { by: '1', counters: counters(30, [30, 0, 0, 0]) },
            { by: '2', counters: counters(15, [15, 0, 0, 0]) },
          ]),
        ],
        store: null,
      },
      {
        rows: [
          row('a', [
            { by: '1', counters: counters(40, [40, 0, 0, 0]) },
            { by: '3', counters: counters(500, [500, 0, 0, 0]) },
          ]),
        ],
        store: null,
      },
    ]);
    assert.deepEqual(rec.report().rows[0]!.series.rps, [null, 25, 10], 'process 3 is a baseline, not 500 requests in a second');
  });

  it('keeps only the last `samples` seconds, and drops a row gone from the topology', async () => {
    const readings: StatsReading[] = [];
    for (let i = 0; i < 8; i++) {
      const rows = [row('a', [{ by: '1', counters: counters(i * 10, [i * 10, 0, 0, 0]) }])];
      if (i < 7) rows.push(row('b', [{ by: '1', counters: counters(i, [i, 0, 0, 0]) }]));
      readings.push({ rows, store: null });
    }
    const r = (await record(readings, 5)).report();
    assert.equal(r.t.length, 5);
    assert.deepEqual(
      r.rows.map((x) => x.id),
      ['a'],
    );
    assert.deepEqual(r.rows[0]!.series.rps, [10, 10, 10, 10, 10]);
  });

  it('pads a row that appears later with nulls, so every series lines up with the times', async () => {
    const r = (
      await record([
        { rows: [row('a', [])], store: null },
        { rows: [row('a', []), row('b', [{ by: '1', counters: counters(1, [1, 0, 0, 0]) }])], store: null },
      ])
    ).report();
    const b = r.rows.find((x) => x.id === 'b')!;
    assert.equal(b.series.rps.length, r.t.length);
    assert.deepEqual(b.series.inflight, [null, 1]);
  });

  it('keeps the store ping per second, null when the ping failed', async () => {
    const r = (
      await record([
        { rows: [], store: { driver: 'redis', seenBy: 'gateway', ok: true, pingMs: 0.4 } },
        { rows: [], store: { driver: 'redis', seenBy: 'gateway', ok: false, pingMs: null } },
      ])
    ).report();
    assert.deepEqual(r.store!.series.pingMs, [0.4, null]);
    assert.equal(r.store!.ok, false);
  });

  it('skips a second whose reading failed, and keeps going', async () => {
    let n = 0;
    const rec = new StatsRecorder({
      topology: 'one-hop',
      algorithm: 'x',
      log,
      read: () => {
        if (n++ === 1) throw new Error('worker gone');
        return { rows: [], store: null };
      },
    });
    for (let s = 0; s < 3; s++) await rec.sample(s * 1000);
    assert.equal(rec.report().t.length, 2);
  });
});

describe('store health of several processes', () => {
  it('is the slowest ping, and failing when any ping failed', () => {
    const ok = (pingMs: number) => ({ driver: 'embedded', seenBy: 'nodes' as const, ok: true, pingMs });
    assert.deepEqual(mergeStoreHealth([ok(0.2), ok(0.9), null]), ok(0.9));
    assert.equal(mergeStoreHealth([ok(0.2), { driver: 'embedded', seenBy: 'nodes', ok: false, pingMs: null }])!.ok, false);
    assert.equal(mergeStoreHealth([null]), null);
  });
});

describe('the terminal sparkline', () => {
  it('scales to the peak and shows gaps as spaces', () => {
    assert.equal(sparkline([0, 5, 10, null]), '▁▅█ ');
    assert.equal(sparkline([0, 0]), '▁▁');
  });
});
