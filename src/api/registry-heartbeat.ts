/**
 * Keeps this node in the store's node registry, which is how a gateway using
 * discovery finds it. A node that dies simply stops beating and drops out once its
 * entry's time to live has passed (three beats by default); a draining node stays
 * listed with `draining: true` so the gateway stops sending new requests before the
 * node goes away. A beat that fails (the store failing over) is tried again soon, not a
 * whole interval later: the entry must be renewed before it expires, or every gateway
 * drops a node that is serving well.
 */
import type { Logger } from '../core/logging.js';
import type { Store } from '../store/index.js';

/** How soon a failed beat is tried again (at most the interval). */
const RETRY_AFTER_FAILURE_MS = 250;

export class RegistryHeartbeat {
  #timer: NodeJS.Timeout | undefined;
  #draining = false;
  #stopped = false;
  #beating: Promise<boolean> | undefined;

  constructor(
    private readonly store: Store,
    private readonly nodeId: string,
    private readonly url: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly ttlMs = intervalMs * 3,
  ) {}

  async start(): Promise<void> {
    this.#schedule(await this.#beat());
  }

  async markDraining(): Promise<void> {
    this.#draining = true;
    await this.#beat();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#beating; // a beat landing after the deregistration would list us again
    await this.store.deregister(this.nodeId).catch((err: unknown) => this.log.warn({ err }, 'could not deregister'));
  }

  #schedule(ok: boolean): void {
    if (this.#stopped) return;
    const delay = ok ? this.intervalMs : Math.min(this.intervalMs, RETRY_AFTER_FAILURE_MS);
    this.#timer = setTimeout(() => void this.#beat().then((next) => this.#schedule(next)), delay);
    this.#timer.unref();
  }

  #beat(): Promise<boolean> {
    this.#beating = this.#register();
    return this.#beating;
  }

  async #register(): Promise<boolean> {
    try {
      await this.store.register(
        this.nodeId,
        {
          url: this.url,
          draining: this.#draining,
          pid: process.pid,
        },
        this.ttlMs,
      );
      return true;
    } catch (err) {
      this.log.warn({ err }, 'registry heartbeat failed');
      return false;
    }
  }
}
