/**
 * The per-upstream window that latency-outlier ejection (latency-outliers.ts) judges:
 * each Upstream owns one and adds every answer's latency to it. Its own module because
 * the detector reads Upstreams and an Upstream holds a window.
 */

/** Answers of one upstream since the last judgement. */
export class LatencyWindow {
  #count = 0;
  #sumMs = 0;

  add(latencyMs: number): void {
    this.#count++;
    this.#sumMs += latencyMs;
  }

  /** The window so far, and a fresh one. */
  take(): { count: number; meanMs: number } {
    const w = { count: this.#count, meanMs: this.#count ? this.#sumMs / this.#count : 0 };
    this.#count = 0;
    this.#sumMs = 0;
    return w;
  }
}
