/**
 * The health of one upstream, from three sources: the operator or registry (draining),
 * active probes (unhealthy), and the outcomes of real requests (ejected). It answers
 * two questions on the hot path — may this node get new requests, and with what weight
 * (slow start) — and is evaluated lazily against the clock, so an ejection ends and a
 * slow start finishes without timers.
 */
export type UpstreamState = 'healthy' | 'slow-start' | 'ejected' | 'unhealthy' | 'draining';

export interface HealthPolicy {
  ejectAfterFailures: number;
  ejectionBaseMs: number;
  ejectionMaxMs: number;
  slowStartMs: number;
  slowStartMinWeight: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export type HealthEvent = 'ejected' | 'ejected-slow' | 'returned' | 'unhealthy' | 'recovered';

export class UpstreamHealth {
  drainingByAdmin = false;
  drainingByRegistry = false;
  #probeHealthy = true;
  #probeStreak = 0;
  #consecutiveFailures = 0;
  /** Monotonic ms until which the node is ejected; 0 when not ejected. */
  #ejectedUntil = 0;
  /** How many times in a row it was ejected; doubles the next ejection. */
  #ejections = 0;
  /** Monotonic ms when the current slow start began; -1 when none. */
  #returningSince = -1;
  /**
   * Half-open: back from an ejection and not yet through its slow start. One failure
   * now ejects it again (for twice as long) instead of waiting for a streak.
   */
  #probation = false;
  /**
   * Ejected as a latency outlier and, when its time is up, kept out until its health
   * probe's latency says it is no longer slow (latency-outliers.ts): the probe, not a
   * user's request, finds out whether it recovered.
   */
  #latencyHold = false;

  constructor(
    private readonly policy: HealthPolicy,
    now: number,
    opts: { slowStart: boolean },
    private readonly onEvent: (event: HealthEvent) => void = () => {},
  ) {
    if (opts.slowStart) this.#returningSince = now;
  }

  get draining(): boolean {
    return this.drainingByAdmin || this.drainingByRegistry;
  }

  state(now: number): UpstreamState {
    if (this.draining) return 'draining';
    if (!this.#probeHealthy) return 'unhealthy';
    if (this.#ejectedUntil !== 0) {
      if (now < this.#ejectedUntil || this.#latencyHold) return 'ejected';
      this.#ejectedUntil = 0;
      this.#probation = true;
      this.#returningSince = now;
      this.onEvent('returned');
    }
    if (this.#returningSince >= 0) {
      if (now - this.#returningSince < this.policy.slowStartMs) return 'slow-start';
      this.#returningSince = -1;
      if (this.#probation) {
        this.#probation = false;
        this.#ejections = 0;
      }
    }
    return 'healthy';
  }

  /** May get new requests (outside panic mode). */
  eligible(now: number): boolean {
    const s = this.state(now);
    return s === 'healthy' || s === 'slow-start';
  }

  /** Share multiplier in (0, 1]: ramps linearly from the minimum during slow start. */
  weight(now: number): number {
    if (this.#returningSince < 0 || this.policy.slowStartMs === 0) return 1;
    const progress = (now - this.#returningSince) / this.policy.slowStartMs;
    if (progress >= 1) return 1;
    const min = this.policy.slowStartMinWeight;
    return min + (1 - min) * Math.max(0, progress);
  }

  onSuccess(): void {
    this.#consecutiveFailures = 0;
  }

  /** Back from an ejection and not through its slow start yet: one more strike ejects it again. */
  get halfOpen(): boolean {
    return this.#probation;
  }

  /** A connect error, reset, timeout or 5xx of a real request. True when it ejected the node. */
  onFailure(now: number): boolean {
    this.#consecutiveFailures++;
    if (this.#ejectedUntil !== 0 && now < this.#ejectedUntil) return false;
    if (!this.#probation && this.#consecutiveFailures < this.policy.ejectAfterFailures) return false;
    this.#eject(now, 'ejected');
    return true;
  }

  /**
   * Far slower than its peers (latency-outliers.ts): ejected like a failing node, with
   * the same back-off; with `hold`, it stays out after that until `releaseLatencyHold`.
   */
  ejectAsSlow(now: number, hold: boolean): void {
    if (this.#ejectedUntil !== 0 && now < this.#ejectedUntil) return;
    this.#eject(now, 'ejected-slow');
    this.#latencyHold = hold;
  }

  /** Its latency ejection is over and it waits for a probe to clear it. */
  awaitingLatencyCheck(now: number): boolean {
    return this.#latencyHold && this.#ejectedUntil !== 0 && now >= this.#ejectedUntil;
  }

  /** Its probe answers as fast as its peers': it returns, half-open, through slow start. */
  releaseLatencyHold(): void {
    this.#latencyHold = false;
  }

  /** Its probe is still an outlier: out again, for twice as long, no user request spent on it. */
  extendSlowEjection(now: number): void {
    this.#eject(now, 'ejected-slow');
  }

  #eject(now: number, event: 'ejected' | 'ejected-slow'): void {
    const backoff = this.policy.ejectionBaseMs * 2 ** Math.min(this.#ejections, 30);
    this.#ejections++;
    this.#ejectedUntil = now + Math.min(backoff, this.policy.ejectionMaxMs);
    this.#consecutiveFailures = 0;
    this.#probation = false;
    this.#returningSince = -1;
    this.onEvent(event);
  }

  onProbe(ok: boolean, now: number): void {
    if (ok === this.#probeHealthy) {
      this.#probeStreak = 0;
      return;
    }
    this.#probeStreak++;
    const needed = ok ? this.policy.healthyThreshold : this.policy.unhealthyThreshold;
    if (this.#probeStreak < needed) return;
    this.#probeStreak = 0;
    this.#probeHealthy = ok;
    if (ok) {
      this.#returningSince = now;
      this.onEvent('recovered');
    } else {
      this.onEvent('unhealthy');
    }
  }
}
