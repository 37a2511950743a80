/**
 * Store health for the console: one `ping` per interval in the background, the last
 * answer kept, so reading it costs nothing and a hung store shows as a failed ping
 * (after the timeout) instead of a hung stats read.
 */
import type { StoreHealth } from './stats-types.js';

interface Pingable {
  readonly driver: string;
  ping(): Promise<void>;
}

const PING_TIMEOUT_MS = 1_000;

export class StorePinger {
  #last: { ok: boolean; pingMs: number | null } = { ok: false, pingMs: null };
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly store: Pingable,
    private readonly seenBy: StoreHealth['seenBy'],
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.#ping(), this.intervalMs);
    this.#timer.unref();
    void this.#ping();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  health(): StoreHealth {
    return { driver: this.store.driver, seenBy: this.seenBy, ...this.#last };
  }

  async #ping(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
        }),
      ]);
      this.#last = { ok: true, pingMs: Math.round((performance.now() - t0) * 1000) / 1000 };
    } catch {
      this.#last = { ok: false, pingMs: null };
    } finally {
      clearTimeout(timer);
      this.#running = false;
    }
  }
}
