/**
 * How a supervisor restarts a process that died: exponential back-off from 0.5 s,
 * capped at 10 s, reset once the process had been up for a minute — a crash loop is
 * retried slowly and reported, never hot-looped, while a rare crash costs half a second.
 * One rule for every supervisor (`up`'s workers and child nodes, the gateway's workers).
 */
export const RESTART_INITIAL_MS = 500;
export const RESTART_MAX_MS = 10_000;
export const HEALTHY_RESET_MS = 60_000;

export class RestartBackoff {
  /** Restarts since the last reset; exposed for the admin view. */
  restarts = 0;
  #streak = 0;

  /** The delay before the next start, given how long the process that died had been up. */
  next(upForMs: number): number {
    if (upForMs >= HEALTHY_RESET_MS) this.#streak = 0;
    const delay = Math.min(RESTART_MAX_MS, RESTART_INITIAL_MS * 2 ** this.#streak);
    this.#streak++;
    this.restarts++;
    return delay;
  }

  /** Crashes in a row without a healthy minute in between. */
  get streak(): number {
    return this.#streak;
  }
}
