/**
 * Latency-outlier ejection: an upstream that answers far slower than its peers is taken
 * out of rotation for a while, as one that fails is (state.ts), and comes back the same
 * way — after an exponential back-off, half-open, through slow start.
 *
 * Why on top of p2c-EWMA: its cost, latency × (in-flight + 1), balances expected
 * queueing, so under deep concurrency it keeps a slow-but-idle node busy — at 64
 * concurrent requests a +100 ms node still got 5–8 % of them (bench/compare, slow-node)
 * — and every one of those is a 100 ms answer in the client's p99. Round-robin would
 * send it a third. Ejecting it costs nothing as long as the others have room, which the
 * cap (a third of the upstreams at most) keeps true.
 *
 * The signal is each upstream's mean latency over the last interval (a window, not the
 * peak EWMA: one 100 ms GC pause must not eject a healthy node). An upstream is an
 * outlier when its mean exceeds both `factor` × the median of the others' means and
 * that median + `minExcessMs`: a node at 3 ms next to 1 ms peers is fine; at 130 ms
 * next to 30 ms peers it is not. It needs `minRequests` answers in the window to be
 * judged — except in half-open, right back from an ejection, when one slow answer
 * sends it back out (for twice as long).
 *
 * With active health checks on, an ejected node does not come back on a timer alone:
 * when its ejection is over, its last probe's latency is judged against its peers'
 * probes by the same rule, and while it is still an outlier it stays out (for twice as
 * long each time). So the probe, not a user's request, finds out whether it recovered —
 * a node that stays slow costs users nothing after its first second.
 */
import type { Logger } from '../../core/logging.js';
import type { Upstream } from '../upstreams/upstream.js';

export interface LatencyOutlierPolicy {
  /** How often windows are judged (and reset). */
  intervalMs: number;
  /** Outlier above factor × the others' median; 0 turns detection off. */
  factor: number;
  minExcessMs: number;
  minRequests: number;
  /** Active probes run (their latency gates a return); without them, returns are on a timer. */
  probes: boolean;
}

export class LatencyOutlierDetector {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly membership: { readonly upstreams: readonly Upstream[] },
    private readonly policy: LatencyOutlierPolicy,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.policy.factor === 0) return;
    this.#timer = setInterval(() => this.judge(performance.now()), this.policy.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Judges every upstream's window, ejects outliers within the cap; returns those ejected. */
  judge(now: number): Upstream[] {
    const all = this.membership.upstreams.filter((u) => !u.health.draining);
    this.#judgeReturns(all, now);
    const windows = all.map((u) => ({ u, ...u.window.take() }));
    const cap = Math.floor(all.length / 3);
    let out = all.filter((u) => u.state(now) === 'ejected').length;
    const judged = windows.filter((w) => w.u.health.eligible(now) && w.count >= (w.u.health.halfOpen ? 1 : this.policy.minRequests));
    const ejected: Upstream[] = [];
    for (const w of judged.sort((a, b) => b.meanMs - a.meanMs)) {
      if (out >= cap) break;
      const others = judged.filter((x) => x !== w && !ejected.includes(x.u)).map((x) => x.meanMs);
      if (others.length < 2) continue;
      const base = median(others);
      if (!this.#outlier(w.meanMs, base)) continue;
      w.u.health.ejectAsSlow(now, this.policy.probes);
      ejected.push(w.u);
      out++;
      this.log.warn(
        { upstream: w.u.url, meanMs: round(w.meanMs), othersMedianMs: round(base), answers: w.count },
        'upstream ejected: latency outlier',
      );
    }
    return ejected;
  }

  #outlier(ms: number, peersMs: number): boolean {
    return ms > this.policy.factor * peersMs && ms - peersMs > this.policy.minExcessMs;
  }

  /** Upstreams whose latency ejection is over: back if their probe is fast, out again if not. */
  #judgeReturns(all: Upstream[], now: number): void {
    for (const u of all) {
      if (!u.health.awaitingLatencyCheck(now)) continue;
      const peers = all.filter((x) => x !== u && x.health.eligible(now) && x.probeMs !== undefined).map((x) => x.probeMs!);
      if (peers.length < 2) {
        u.health.releaseLatencyHold(); // nothing to compare with: back on the timer, half-open
      } else if (u.probeMs === undefined || this.#outlier(u.probeMs, median(peers))) {
        u.health.extendSlowEjection(now);
        this.log.info(
          { upstream: u.url, probeMs: u.probeMs === undefined ? null : round(u.probeMs), peersProbeMs: round(median(peers)) },
          'upstream still slow: ejection extended',
        );
      } else {
        u.health.releaseLatencyHold();
      }
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
