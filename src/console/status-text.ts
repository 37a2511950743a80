/**
 * The console in a terminal (`miniscale status`): the same report as the page — a
 * summary line with the store, then one line per worker or upstream with its numbers
 * of the last second and a sparkline of its requests per second over the last minute.
 */
import type { StatsReport, StatsRow } from './stats-types.js';

/** Samples shown in the sparkline: the last minute. */
const SPARK_SAMPLES = 60;
const SPARK = '▁▂▃▄▅▆▇█';

export function renderStatus(r: StatsReport, source: string): string {
  const total = r.rows.reduce((n, row) => n + row.now.rps, 0);
  const kind = r.topology === 'one-hop' ? 'worker' : 'upstream';
  const lines = [
    `Miniscale at ${source}: ${r.topology} · ${r.algorithm} · ${r.rows.length} ${kind}s · ${total.toFixed(1)} req/s`,
    `store: ${storeLine(r.store)}`,
    '',
  ];
  const head = [
    kind.toUpperCase(),
    'STATE',
    'REQ/S',
    'P50 MS',
    'P99 MS',
    '4XX/S',
    '5XX/S',
    'IN FLIGHT',
    'RESTARTS',
    'EJECTIONS',
    'REQ/S, LAST MINUTE',
  ];
  const body = r.rows.map((row) => [
    rowName(row),
    row.state,
    num(row.now.rps),
    num(row.now.p50Ms, 2),
    num(row.now.p99Ms, 2),
    num(row.now.errors4xx),
    num(row.now.errors5xx),
    String(row.inflight),
    row.restarts === null ? '–' : String(row.restarts),
    row.ejections === null ? '–' : String(row.ejections),
    sparkline(row.series.rps.slice(-SPARK_SAMPLES)),
  ]);
  lines.push(...table([head, ...body]));
  if (r.rows.length === 0) lines.push(`(no ${kind}s)`);
  if (r.t.length < 2) lines.push('', 'The first samples are still being taken: rates show after two seconds.');
  return `${lines.join('\n')}\n`;
}

function storeLine(s: StatsReport['store']): string {
  if (!s) return 'not known here (no store of its own, and no health probes)';
  const where =
    s.seenBy === 'gateway' ? 'pinged by the gateway' : s.seenBy === 'nodes' ? 'pinged by the nodes' : "through the nodes' /readyz";
  return `${s.driver ?? 'unknown driver'} · ${s.ok ? 'ok' : 'NOT ANSWERING'} · ping ${num(s.pingMs, 2)} ms (${where})`;
}

function rowName(row: StatsRow): string {
  const name = row.id.startsWith('worker-') ? row.id.replace('worker-', 'worker ') : row.url.replace(/^https?:\/\//, '');
  return row.nodeId ? `${name} (${row.nodeId})` : name;
}

function num(v: number | null, digits = 1): string {
  return v === null ? '–' : v.toFixed(digits);
}

/** Scaled to the row's own peak; a gap (nothing measured) is a space. */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const peak = Math.max(0, ...values.map((v) => v ?? 0));
  return values
    .map((v) => (v === null ? ' ' : SPARK[peak === 0 ? 0 : Math.min(SPARK.length - 1, Math.round((v / peak) * (SPARK.length - 1)))]))
    .join('');
}

/** Columns padded to their widest cell: the first left-aligned, numbers right-aligned, the last as is. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...r[c]!].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => {
        if (c === r.length - 1) return cell;
        const pad = ' '.repeat(widths[c]! - [...cell].length);
        return c <= 1 ? cell + pad : pad + cell;
      })
      .join('  ')
      .trimEnd(),
  );
}
