/**
 * Peak-EWMA latency, as Finagle's and Linkerd's p2c balancers keep it: a slower sample
 * than the current estimate replaces it at once (a node that just got slow is avoided
 * on the next pick), faster samples pull it down with time constant `decayMs`, and
 * between samples the estimate decays toward 0, so a node nobody picks any more is
 * eventually tried again instead of being starved forever by one old slow answer.
 */
export class PeakEwma {
  #cost = 0;
  #stamp = 0;
  #sampled = false;

  constructor(private readonly decayMs: number) {}

  /** True once a sample arrived; p2c treats a node with no sample specially. */
  get sampled(): boolean {
    return this.#sampled;
  }

  /** The estimate at `now` (ms, monotonic), decayed since the last sample. */
  value(now: number): number {
    if (!this.#sampled) return 0;
    const elapsed = now - this.#stamp;
    return elapsed <= 0 ? this.#cost : this.#cost * Math.exp(-elapsed / this.decayMs);
  }

  observe(rttMs: number, now: number): void {
    if (!this.#sampled) {
      this.#cost = rttMs;
      this.#sampled = true;
    } else if (rttMs > this.#cost) {
      this.#cost = rttMs;
    } else {
      const w = Math.exp(-Math.max(0, now - this.#stamp) / this.decayMs);
      this.#cost = this.#cost * w + rttMs * (1 - w);
    }
    this.#stamp = now;
  }
}
