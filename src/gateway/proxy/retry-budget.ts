/**
 * A retry budget (Finagle's RetryBudget, Envoy's retry_budget): over a sliding window,
 * retries may number at most `ratio` × requests + `min`. In normal operation the odd
 * retry is always allowed (the floor); in a total outage, where every request would be
 * retried, load on the upstreams grows by at most `ratio` instead of × max-attempts.
 * The window is a ring of one-second buckets (or finer for short windows), so the
 * counts expire smoothly without keeping a timestamp per request.
 */
const BUCKETS = 10;

export interface RetryBudgetSettings {
  ratio: number;
  min: number;
  windowMs: number;
}

export class RetryBudget {
  readonly #requests = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);
  readonly #bucketMs: number;
  #epoch = -1;
  #requestSum = 0;
  #retrySum = 0;

  constructor(private readonly s: RetryBudgetSettings) {
    this.#bucketMs = s.windowMs / BUCKETS;
  }

  /** Counts one client request (not its retries). */
  recordRequest(now: number): void {
    const i = this.#advance(now);
    this.#requests[i]!++;
    this.#requestSum++;
  }

  /** Takes one retry from the budget; false (and nothing taken) when it is spent. */
  tryAcquire(now: number): boolean {
    const i = this.#advance(now);
    if (this.#retrySum + 1 > this.s.min + this.s.ratio * this.#requestSum) return false;
    this.#retries[i]!++;
    this.#retrySum++;
    return true;
  }

  /** Retries still allowed right now (for metrics and tests). */
  remaining(now: number): number {
    this.#advance(now);
    return Math.max(0, Math.floor(this.s.min + this.s.ratio * this.#requestSum - this.#retrySum));
  }

  /** Moves the window to `now`, clearing buckets that fell out of it; returns the current bucket. */
  #advance(now: number): number {
    const epoch = Math.floor(now / this.#bucketMs);
    if (this.#epoch === -1) this.#epoch = epoch;
    const steps = Math.min(epoch - this.#epoch, BUCKETS);
    for (let k = 1; k <= steps; k++) {
      const i = (this.#epoch + k) % BUCKETS;
      this.#requestSum -= this.#requests[i]!;
      this.#retrySum -= this.#retries[i]!;
      this.#requests[i] = 0;
      this.#retries[i] = 0;
    }
    if (epoch > this.#epoch) this.#epoch = epoch;
    return this.#epoch % BUCKETS;
  }
}
