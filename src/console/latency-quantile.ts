/**
 * A quantile out of histogram buckets, as Prometheus' `histogram_quantile` does it:
 * find the bucket the rank falls in and interpolate linearly inside it. Exact enough
 * for a chart (the error is at most one bucket's width) and costs the hot path nothing
 * beyond the bucket counts it already keeps.
 */

/**
 * `q` (0–1) of the answers counted in `counts` (per bucket, not cumulative; the last
 * bucket is above every bound). Null when nothing was counted. A rank in the last
 * bucket is reported as the highest bound: the histogram knows no more.
 */
export function latencyQuantile(boundsMs: readonly number[], counts: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0 && below + c >= rank) {
      if (i >= boundsMs.length) return boundsMs.at(-1) ?? null;
      const lower = i === 0 ? 0 : boundsMs[i - 1]!;
      return round(lower + (boundsMs[i]! - lower) * ((rank - below) / c));
    }
    below += c;
  }
  return boundsMs.at(-1) ?? null;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
